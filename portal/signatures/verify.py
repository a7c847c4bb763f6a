"""verify(): the one entry point that turns untrusted bytes into a ValidationReport.

Order: safe parse → signature shape and algorithms (FORMAT_FAILURE, GOST 34.310-2004 →
INDETERMINATE), all before any cryptography → reference digest and SignatureValue: RSA with
libxmlsec (if it refuses, our own digest tells HASH_FAILURE from SIG_CRYPTO_FAILURE), GOST
34.10-2015 with gost.py (the value over SignedInfo first, then the digest) → certificate chain, validity, CA
constraints, revocation → key usage, purpose, legal-entity role, expected BIN.
The first failure decides.
Business data must be read from ``report.content`` (signed_content of the verified tree).

Verdicts (message_key in brackets):
  TOTAL_FAILED  FORMAT_FAILURE      not XML, DOCTYPE, limits, any deviation from the profile,
                                    SHA-1 or other algorithms, 0 or 2+ signatures/references
  INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE  GOST 34.310-2004 [legacy_gost_not_supported]
  TOTAL_FAILED  CRYPTO_CONSTRAINTS_FAILURE  RSA key under 2048 bits [weak_key]
  TOTAL_FAILED  HASH_FAILURE / SIG_CRYPTO_FAILURE  content changed / bad SignatureValue
  INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND  issuer not in the trust store [untrusted]
  TOTAL_FAILED  EXPIRED / NOT_YET_VALID  a chain certificate outside its validity at `at`
  TOTAL_FAILED  CHAIN_CONSTRAINTS_FAILURE  issuer not a CA, signer is a CA [chain_constraints]
  TOTAL_FAILED  REVOKED;  INDETERMINATE TRY_LATER  no valid/current CRL [revocation_unknown]
  TOTAL_FAILED  SIG_CONSTRAINTS_FAILURE  keyUsage [key_usage], EKU purpose
                                    [wrong_key_purpose], expect_bin [bin_mismatch]
  TOTAL_FAILED  CHAIN_CONSTRAINTS_FAILURE  no legal-entity role or BIN [not_legal_entity]
Policy failures are TOTAL_FAILED rather than ETSI's INDETERMINATE: the portal's policy is
fixed, so the same certificate can never pass; INDETERMINATE means "could pass later".
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import xmlsec
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa

from . import gost, oids
from .certpolicy import check_policy, signer_of
from .report import Check, Failure, Indication, Signer, SubIndication, ValidationReport
from .truststore import TrustStore
from .xmldsig import (StructureError, digest_matches, gost_signature_matches, parse_signature,
                      xmlsec_verify)
from .xmlparse import FormatError, parse, strip_unsigned

log = logging.getLogger(__name__)
I, S = Indication, SubIndication
FORMAT = Failure(I.TOTAL_FAILED, S.FORMAT_FAILURE, "signature.format_failure")
LEGACY_GOST = Failure(I.INDETERMINATE, S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
                      "signature.legacy_gost_not_supported")
WEAK_KEY = Failure(I.TOTAL_FAILED, S.CRYPTO_CONSTRAINTS_FAILURE, "signature.weak_key")
HASH = Failure(I.TOTAL_FAILED, S.HASH_FAILURE, "signature.hash_failure")
SIG_CRYPTO = Failure(I.TOTAL_FAILED, S.SIG_CRYPTO_FAILURE, "signature.sig_crypto_failure")
INTERNAL = Failure(I.INDETERMINATE, S.GENERIC, "signature.internal_error")


def verify(data: bytes, trust_store: TrustStore | str | os.PathLike, *,
           at: dt.datetime | None = None, expect_bin: str | None = None,
           purpose: str = "sign") -> ValidationReport:
    """Validate an NCALayer-signed XML document; never raises for bad input.

    at: the time the signature is judged at (default now, naive = UTC).
    purpose: "sign" (EKU 1.3.6.1.5.5.7.3.4) or "auth" (1.3.6.1.5.5.7.3.2).
    Raises ValueError for a bad purpose and TrustStoreError for an unreadable store.
    """
    if purpose not in oids.PURPOSE_EKU:
        raise ValueError(f"purpose must be one of {sorted(oids.PURPOSE_EKU)}")
    if not isinstance(trust_store, TrustStore):
        trust_store = TrustStore.load(trust_store)
    at = dt.datetime.now(dt.timezone.utc) if at is None else at
    at = at.replace(tzinfo=dt.timezone.utc) if at.tzinfo is None else at.astimezone(dt.timezone.utc)
    run = _Run(at)
    try:
        return run.verify(data, trust_store, expect_bin, purpose)
    except Exception as exc:  # noqa: BLE001 — the contract is a report, never an exception
        log.exception("signature verification crashed")
        return run.finish(INTERNAL, Check("internal", False, f"{type(exc).__name__}: {exc}"))


class _Run:
    """State of one verification: the checks so far and the signer once known."""

    def __init__(self, at: dt.datetime):
        self.at = at
        self.checks: list[Check] = []
        self.signer = Signer()

    def finish(self, failure: Failure | None, check: Check | None = None,
               content=None) -> ValidationReport:
        if check is not None:
            self.checks.append(check)
        if failure is None:
            return ValidationReport(I.TOTAL_PASSED, None, "signature.passed", self.at.isoformat(),
                                    self.signer, self.checks, content)
        return ValidationReport(failure.indication, failure.sub_indication, failure.message_key,
                                self.at.isoformat(), self.signer, self.checks)

    def verify(self, data, store: TrustStore, expect_bin, purpose) -> ValidationReport:
        try:
            tree = parse(data)
        except FormatError as exc:
            return self.finish(FORMAT, Check("xml", False, str(exc)))
        self.checks.append(Check("xml", True, "well-formed, no DOCTYPE, within limits"))

        try:
            parts = parse_signature(tree)
        except StructureError as exc:
            return self.finish(FORMAT, Check("signature_format", False, str(exc)))
        cert = parts.certificate
        self.signer = signer_of(cert)
        if parts.legacy_gost:
            return self.finish(LEGACY_GOST, Check(
                "algorithm", False,
                f"GOST 34.310-2004 with GOST 34.311-95 ({parts.signature_method}) is not checked by "
                "this portal; sign with a GOST 34.10-2015 or RSA key"))
        if parts.gost_size:
            return self._verify_gost(tree, parts, store, expect_bin, purpose)
        try:
            key = cert.public_key()
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            return self.finish(FORMAT, Check("signature_format", False,
                                             f"cannot read the certificate's key: {exc}"))
        if not isinstance(key, rsa.RSAPublicKey):
            return self.finish(FORMAT, Check("signature_format", False,
                                             "rsa-sha256 signature but the certificate key is not RSA"))
        self.checks.append(Check("signature_format", True,
                                 'enveloped, URI="", C14N' + (" with comments" if parts.with_comments
                                                             else "") + ", rsa-sha256, SHA-256"))
        if key.key_size < oids.MIN_RSA_BITS:
            return self.finish(WEAK_KEY, Check(
                "algorithm", False, f"RSA {key.key_size} bits, at least {oids.MIN_RSA_BITS} required"))
        self.checks.append(Check("algorithm", True, f"RSA {key.key_size} bits with SHA-256"))

        # libxmlsec checks the reference digest and the SignatureValue in one go, with only the
        # profile's transforms enabled. Only when it refuses do we compute the reference digest
        # ourselves, to tell a changed document (HASH) from a bad SignatureValue (SIG_CRYPTO):
        # either way the verdict is a failure.
        try:
            xmlsec_verify(parts)
        except xmlsec.Error as exc:
            return self._refused_by_xmlsec(tree, parts, exc)
        self.checks.append(Check("reference_digest", True, "SHA-256 matches"))
        self.checks.append(Check("signature_value", True, "verified with the signer's key"))
        return self._certificate(tree, cert, store, expect_bin, purpose)

    def _verify_gost(self, tree, parts, store, expect_bin, purpose) -> ValidationReport:
        """GOST 34.10-2015: libxmlsec has no Kazakh GOST, so gost.py checks digest and value."""
        size = parts.gost_size
        try:
            key = gost.public_key_of(parts.certificate)
        except (gost.GostError, ValueError, IndexError) as exc:
            return self.finish(FORMAT, Check("signature_format", False,
                                             f"cannot read the certificate's GOST key: {exc}"))
        if key is None or key.size != size:
            have = f"a {key.size}-bit GOST key" if key else "not a GOST 34.10-2015 key"
            return self.finish(FORMAT, Check(
                "signature_format", False,
                f"GOST {size}-bit signature but the certificate key is {have}"))
        self.checks.append(Check("signature_format", True,
                                 'enveloped, URI="", C14N' + (" with comments" if parts.with_comments
                                                             else "") + f", gostr34102015-gostr34112015-{size}"
                                 f", Streebog-{size}"))
        self.checks.append(Check("algorithm", True, gost.describe(size)))
        # The SignatureValue first: it covers only SignedInfo (~1 KB), while Streebog of a large
        # document costs ~1.5 ms per KB in Python, so a forged value is refused before that work.
        # A changed document still fails as HASH_FAILURE: SignedInfo, and so the value, is intact.
        if not gost_signature_matches(parts, key):
            return self.finish(SIG_CRYPTO, Check("signature_value", False,
                                                 "the GOST signature value does not verify with the "
                                                 "certificate's key"))
        self.checks.append(Check("signature_value", True, "verified with the signer's key"))
        refused = self._digest(tree, parts, f"Streebog-{size}")
        return refused or self._certificate(tree, parts.certificate, store, expect_bin, purpose)

    def _certificate(self, tree, cert, store: TrustStore, expect_bin, purpose) -> ValidationReport:
        """Chain, validity, revocation and policy: the same for every algorithm."""
        chain = store.validate(cert, self.at)
        self.checks.extend(chain.checks)
        policy_checks, policy_failure = check_policy(cert, self.signer, purpose=purpose,
                                                     expect_bin=expect_bin)
        self.checks.extend(policy_checks)
        failure = chain.failure or policy_failure
        if failure is not None:
            return self.finish(failure)
        # The tree is this run's own parse: strip it in place rather than copy 100 KB.
        return self.finish(None, content=strip_unsigned(tree))

    def _digest(self, tree, parts, name: str) -> ValidationReport | None:
        """The reference digest checked by us: a refusal (FORMAT or HASH), or None when it matches."""
        try:
            same = digest_matches(tree, parts)
        except StructureError as exc:
            return self.finish(FORMAT, Check("reference_digest", False, str(exc)))
        if not same:
            return self.finish(HASH, Check("reference_digest", False,
                                           "the document does not match the signed digest"))
        self.checks.append(Check("reference_digest", True, f"{name} matches"))
        return None

    def _refused_by_xmlsec(self, tree, parts, error: xmlsec.Error) -> ValidationReport:
        return self._digest(tree, parts, "SHA-256") or self.finish(
            SIG_CRYPTO, Check("signature_value", False, f"libxmlsec: {error}".strip()))
