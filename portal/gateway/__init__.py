"""Data from state information systems through the e-government gateway (п.13), behind one interface."""
