"""What happened to a case, when and by whom: the timeline and the monitoring feed (п.14)."""
