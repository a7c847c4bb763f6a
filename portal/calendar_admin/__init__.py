"""Exceptions to the working-day calendar (decrees), edited by the admin in the portal and by CLI."""
