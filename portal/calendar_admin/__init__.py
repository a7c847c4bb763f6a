"""The admin's screen for the working-day calendar's decree exceptions (the calendar itself: portal/calendar)."""
