"""The Rules (142/НҚ as amended by 404/НҚ) in pure Python: calendar, deadlines, rulesets.

No Flask and no database here; every output names the paragraph it comes from.
"""
