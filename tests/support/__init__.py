"""Support modules the tests share (not tests themselves)."""
