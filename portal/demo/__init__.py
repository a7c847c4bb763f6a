"""Demo organisations, accounts and cases for a laptop (never in production)."""
