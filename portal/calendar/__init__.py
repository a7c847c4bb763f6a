"""The working-day calendar in force (rules/calendar.py plus the decree exceptions kept in SQL), read by every domain."""
