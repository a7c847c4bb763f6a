"""Quality reporting for the quality-control authority and the provider's supervisor (issue 6)."""
