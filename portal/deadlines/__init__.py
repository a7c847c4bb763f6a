"""Deadlines of the Rules as rows with a due moment: planned, recomputed, swept and escalated."""
