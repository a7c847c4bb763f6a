"""People, organisations and roles; log-in with a password."""
