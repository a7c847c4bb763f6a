"""The final decision (п.11): the accreditation certificate (Appendix 3) or the motivated refusal (Appendix 4)."""
