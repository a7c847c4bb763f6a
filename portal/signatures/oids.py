"""Algorithm URIs and certificate OIDs used by НУЦ РК certificates and NCALayer."""

from cryptography.x509.oid import ObjectIdentifier

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS_NS}

# What NCALayer signXml produces: the only profile we accept (RSA as below, or GOST further down).
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_WITH_COMMENTS = C14N + "#WithComments"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

# Kazakh GOST algorithms (NCALayer output). libxmlsec cannot check them: GOST 34.10-2015 is verified by
# gost.py, by key size (256/512, signature and digest of the same size); the old GOST 34.310-2004
# (GOST 34.311-95 hash) is recognised but not verified (INDETERMINATE).
_KZ = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"
GOST_SIGNATURE_METHOD = {256: _KZ + "gostr34102015-gostr34112015-256",
                         512: _KZ + "gostr34102015-gostr34112015-512"}
GOST_DIGEST_METHOD = {256: _KZ + "gostr34112015-256", 512: _KZ + "gostr34112015-512"}
LEGACY_GOST_SIGNATURE_METHOD = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"
LEGACY_GOST_DIGEST_METHOD = "http://www.w3.org/2001/04/xmldsig-more#gost34311"
GOST_SIGNATURE_METHODS = frozenset({*GOST_SIGNATURE_METHOD.values(), LEGACY_GOST_SIGNATURE_METHOD})
GOST_DIGEST_METHODS = frozenset({*GOST_DIGEST_METHOD.values(), LEGACY_GOST_DIGEST_METHOD})
GOST_SIZE_OF_METHOD = {uri: size for size, uri in GOST_SIGNATURE_METHOD.items()}
GOST_SIZE_OF_DIGEST = {uri: size for size, uri in GOST_DIGEST_METHOD.items()}

MIN_RSA_BITS = 2048

# Extended key usage: purpose of the key...
EKU_SIGN = ObjectIdentifier("1.3.6.1.5.5.7.3.4")  # emailProtection, НУЦ's "signing"
EKU_AUTH = ObjectIdentifier("1.3.6.1.5.5.7.3.2")  # clientAuth
PURPOSE_EKU = {"sign": EKU_SIGN, "auth": EKU_AUTH}

# ...and the holder's role.
ROLE_INDIVIDUAL = ObjectIdentifier("1.2.398.3.3.4.1.1")
ROLE_LEGAL_ENTITY = ObjectIdentifier("1.2.398.3.3.4.1.2")
LEGAL_ENTITY_ROLES = {
    ObjectIdentifier("1.2.398.3.3.4.1.2.1"): "first_head",
    ObjectIdentifier("1.2.398.3.3.4.1.2.2"): "signing_right",
    ObjectIdentifier("1.2.398.3.3.4.1.2.3"): "financial",
    ObjectIdentifier("1.2.398.3.3.4.1.2.4"): "hr",
    ObjectIdentifier("1.2.398.3.3.4.1.2.5"): "employee",
}
ROLE_OIDS = {v: k for k, v in LEGAL_ENTITY_ROLES.items()}

# Certificate policies of НУЦ РК.
POLICY_LEGAL_SIGN = ObjectIdentifier("1.2.398.3.3.2.1")
POLICY_LEGAL_AUTH = ObjectIdentifier("1.2.398.3.3.2.2")
POLICY_INDIVIDUAL_SIGN = ObjectIdentifier("1.2.398.3.3.2.3")
POLICY_INDIVIDUAL_AUTH = ObjectIdentifier("1.2.398.3.3.2.4")
