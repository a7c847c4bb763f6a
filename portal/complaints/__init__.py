"""Complaints (chapter 3 of the Rules, п.16–п.20) and the quality-control authority's review."""
