"""The clerk's review: completeness (п.7), conditions and grounds (п.4, п.8, Appendix 2 item 9)."""
