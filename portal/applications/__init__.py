"""Applications for accreditation and re-issuance: intake, registration, the cabinet."""
