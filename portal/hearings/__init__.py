"""The preliminary decision to refuse, the hearing slots, the booking and the record of the hearing (п.9, п.10)."""
