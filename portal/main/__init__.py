"""The front page, the language switcher and health checks."""
