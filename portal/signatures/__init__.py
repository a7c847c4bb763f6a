"""Electronic signatures: verification of NCALayer XMLDSig documents, trust store, dev PKI."""
