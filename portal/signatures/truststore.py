"""Trust store: CA certificates and CRLs from a folder, chain building and revocation.

Every certificate in the folder is a trust anchor, self-signed or not: the NCA publishes its
issuing CAs (e.g. "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST)", issued by its root), and an operator who
puts only such an issuing CA here trusts it directly. Chains stop at the first store certificate
that is self-signed or whose own issuer is not in the store; the anchor's own revocation is then
not checked (no CRL above it). RSA and GOST 34.10-2015 signatures on certificates and CRLs are
both verified (GOST by gost.py with the issuer's GOST key); an RSA CA may issue GOST certificates
and the other way round, as long as the signatures verify.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from . import gost
from .report import Check, Failure, Indication, SubIndication

# The NCA's own CA names run past X.520's 64-character bound on CN ("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ
# ОРТАЛЫҚ (GOST) TEST 2022" in Cyrillic and Kazakh letters): cryptography warns on every read.
warnings.filterwarnings("ignore", message="Attribute's length must be >= 1 and <= 64", category=UserWarning)

CERT_SUFFIXES = {".pem", ".cer", ".crt"}
CRL_SUFFIXES = {".crl"}
MAX_PATH = 8

I, S = Indication, SubIndication
NO_CHAIN = Failure(I.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND, "signature.untrusted")
EXPIRED = Failure(I.TOTAL_FAILED, S.EXPIRED, "signature.expired")
NOT_YET_VALID = Failure(I.TOTAL_FAILED, S.NOT_YET_VALID, "signature.not_yet_valid")
CA_CONSTRAINTS = Failure(I.TOTAL_FAILED, S.CHAIN_CONSTRAINTS_FAILURE, "signature.chain_constraints")
REVOKED = Failure(I.TOTAL_FAILED, S.REVOKED, "signature.revoked")
REVOCATION_UNKNOWN = Failure(I.INDETERMINATE, S.TRY_LATER, "signature.revocation_unknown")


class TrustStoreError(Exception):
    """The trust store folder cannot be read."""


class OcspClient(Protocol):
    """Online revocation check; returns "good", "revoked", "unknown" or "not_checked"."""

    def status(self, cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime) -> str: ...


class NoOcsp:
    """The stub: OCSP is off, every answer is "not_checked"."""

    def status(self, cert, issuer, at) -> str:
        return "not_checked"


@dataclass
class ChainResult:
    """Outcome of validating the signer's certificate against the store."""

    path: list[x509.Certificate]  # signer first, trust anchor last; [] when no chain
    checks: list[Check] = field(default_factory=list)
    failure: Failure | None = None

    def fail(self, check: Check, failure: Failure) -> None:
        self.checks.append(check)
        if self.failure is None:
            self.failure = failure


_DN_NAMES = {NameOID.SERIAL_NUMBER: "SERIALNUMBER", NameOID.SURNAME: "SURNAME",
             NameOID.GIVEN_NAME: "G"}


def dn(name: x509.Name) -> str:
    """RFC 4514 string with the attribute names НУЦ РК users know (SERIALNUMBER, SURNAME, G)."""
    return name.rfc4514_string(_DN_NAMES)


def _dn(cert: x509.Certificate) -> str:
    return dn(cert.subject)


def _gost_key(cert: x509.Certificate) -> gost.PublicKey | None:
    try:
        return gost.public_key_of(cert)
    except (gost.GostError, ValueError, IndexError):
        return None


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s name and key issued `cert` (RSA/EC by cryptography, GOST 2015 by gost.py)."""
    if cert.issuer != issuer.subject:
        return False
    if gost.signature_size(cert.signature_algorithm_oid.dotted_string) is not None:
        key = _gost_key(issuer)
        return key is not None and gost.certificate_signed_by(cert, key)
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `crl` (names match, signature verifies with its RSA/EC or GOST key)."""
    if crl.issuer != issuer.subject:
        return False
    if gost.signature_size(crl.signature_algorithm_oid.dotted_string) is not None:
        key = _gost_key(issuer)
        return key is not None and gost.crl_signed_by(crl, key)
    try:
        return crl.is_signature_valid(issuer.public_key())
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and signed_by(cert, cert)


@dataclass(frozen=True)
class TrustStore:
    """CA certificates (all trusted as anchors) and CRLs; the signer's certificate is never trusted."""

    certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    source: str | None = None
    ocsp: OcspClient | None = None  # off by default; replace(store, ocsp=client) to turn on
    require_crl: bool = True  # no usable CRL for an issuer -> INDETERMINATE/TRY_LATER
    # Signature checks between the store's own objects and a signer's certificate give the same answer
    # every time: kept here, per store (a changed folder is a new store, so a new CRL is checked afresh).
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # --- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | os.PathLike) -> TrustStore:
        """Load a folder (.pem/.cer/.crt certs, .crl CRLs; PEM or DER), cached by path and mtimes."""
        # abspath, not resolve(): no system calls on every verification; a folder reached through
        # a re-pointed symlink has other entries (inodes), so it is still a different key.
        path = Path(os.path.abspath(directory))
        try:
            # One stat per file and per call; inode and ctime as well as mtime and size, so a
            # file replaced with its mtime kept (cp -p, rsync -a) still counts as changed.
            entries = sorted((e.name, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_size)
                             for e in os.scandir(path) if e.is_file() and (st := e.stat()))
        except OSError as exc:
            raise TrustStoreError(f"cannot read trust store {path}: {exc}") from None
        key = (str(path), tuple(entries))
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        certs: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        for name, *_ in entries:
            suffix = Path(name).suffix.lower()
            if suffix in CERT_SUFFIXES:
                certs.extend(_read_certs(path / name))
            elif suffix in CRL_SUFFIXES:
                crls.append(_read_crl(path / name))
        store = cls(tuple(certs), tuple(crls), source=str(path.resolve()))
        with _cache_lock:
            for stale in [k for k in _cache if k[0] == key[0]]:  # an earlier state of this folder
                del _cache[stale]
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = store
        return store

    def with_ocsp(self, client: OcspClient) -> TrustStore:
        return replace(self, ocsp=client)

    # --- chain ---------------------------------------------------------------------------
    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """Store certificates that name-match and whose key verifies `cert`'s signature."""
        key = ("issuers", cert.fingerprint(hashes.SHA256()))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._issuers_of(cert)
            self._trim()
        return list(found)

    def _trim(self) -> None:
        if len(self._memo) > 4096:  # signers come and go; the store's own entries are recomputed cheaply
            self._memo.clear()

    def _issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        return [ca for ca in self.certificates if ca.subject == cert.issuer and signed_by(cert, ca)]

    def build_path(self, leaf: x509.Certificate) -> list[x509.Certificate]:
        """signer → … → anchor, or [] if the signer's issuer is not in the store."""
        path = [leaf]
        seen = {leaf.fingerprint(hashes.SHA256())}
        while len(path) < MAX_PATH:
            current = path[-1]
            if len(path) > 1 and self._self_signed(current):
                break  # reached a root
            issuers = [c for c in self.issuers_of(current)
                       if c.fingerprint(hashes.SHA256()) not in seen]
            if not issuers:
                break  # every store certificate is an anchor: stopping here is fine
            path.append(issuers[0])
            seen.add(issuers[0].fingerprint(hashes.SHA256()))
        return path if len(path) > 1 else []

    def validate(self, leaf: x509.Certificate, at: dt.datetime) -> ChainResult:
        """Chain, validity at `at`, CA constraints and revocation of the signer's certificate."""
        path = self.build_path(leaf)
        result = ChainResult(path)
        if not path:
            result.fail(Check("certificate_chain", False,
                              f"no issuer of {dn(leaf.issuer)} in the trust store"),
                        NO_CHAIN)
            _check_validity([leaf], at, result)
            return result
        result.checks.append(Check("certificate_chain", True, " → ".join(_dn(c) for c in path)))
        _check_validity(path, at, result)
        _check_ca_constraints(path, result)
        self._check_revocation(path, at, result)
        return result

    # --- revocation ----------------------------------------------------------------------
    def _self_signed(self, cert: x509.Certificate) -> bool:
        key = ("self_signed", cert.fingerprint(hashes.SHA256()))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _self_signed(cert)
        return found

    def crls_of(self, issuer: x509.Certificate) -> list[x509.CertificateRevocationList]:
        """CRLs issued by `issuer` whose signature verifies with its key."""
        key = ("crls", issuer.fingerprint(hashes.SHA256()))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._crls_of(issuer)
        return list(found)

    def _crls_of(self, issuer: x509.Certificate) -> list[x509.CertificateRevocationList]:
        return [crl for crl in self.crls if crl_signed_by(crl, issuer)]

    def _check_revocation(self, path, at: dt.datetime, result: ChainResult) -> None:
        notes = []
        for cert, issuer in zip(path, path[1:]):
            crls = self.crls_of(issuer)
            if not crls:
                if self.require_crl:
                    result.fail(Check("revocation", False,
                                      f"no valid CRL from {_dn(issuer)} in the trust store"),
                                REVOCATION_UNKNOWN)
                    return
                notes.append(f"{_dn(cert)}: no CRL")
                continue
            latest = max(crls, key=lambda c: c.last_update_utc)
            if latest.next_update_utc is not None and latest.next_update_utc < at:
                result.fail(Check("revocation", False,
                                  f"the CRL of {_dn(issuer)} expired at "
                                  f"{latest.next_update_utc.isoformat()}"), REVOCATION_UNKNOWN)
                return
            # Any valid CRL listing the serial counts: an older CRL left beside a newer one
            # must never hide a revocation (freshness is judged on the newest only).
            entries = [e for c in crls
                       if (e := c.get_revoked_certificate_by_serial_number(cert.serial_number))]
            entry = min(entries, key=lambda e: e.revocation_date_utc) if entries else None
            if entry is not None and entry.revocation_date_utc <= at:
                result.fail(Check("revocation", False,
                                  f"{_dn(cert)} (serial {cert.serial_number:x}) revoked at "
                                  f"{entry.revocation_date_utc.isoformat()}"), REVOKED)
                return
            if entry is not None:
                notes.append(f"{_dn(cert)}: revoked only later, at "
                             f"{entry.revocation_date_utc.isoformat()}")
            else:
                notes.append(f"{_dn(cert)}: not in CRL of {latest.last_update_utc.isoformat()}")
        result.checks.append(Check("revocation", True, "; ".join(notes)))
        if self.ocsp is not None:
            status = self.ocsp.status(path[0], path[1], at)
            if status == "revoked":
                result.fail(Check("ocsp", False, "OCSP: revoked"), REVOKED)
            else:
                result.checks.append(Check("ocsp", True, f"OCSP: {status}"))


def _check_validity(path, at: dt.datetime, result: ChainResult) -> None:
    for cert in path:
        if at > cert.not_valid_after_utc:
            result.fail(Check("certificate_validity", False,
                              f"{_dn(cert)} expired at {cert.not_valid_after_utc.isoformat()}"),
                        EXPIRED)
            return
        if at < cert.not_valid_before_utc:
            result.fail(Check("certificate_validity", False,
                              f"{_dn(cert)} valid only from {cert.not_valid_before_utc.isoformat()}"),
                        NOT_YET_VALID)
            return
    leaf = path[0]
    result.checks.append(Check("certificate_validity", True,
                               f"valid {leaf.not_valid_before_utc.isoformat()} – "
                               f"{leaf.not_valid_after_utc.isoformat()}"))


def _basic_constraints(cert: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _check_ca_constraints(path, result: ChainResult) -> None:
    problems = []
    leaf_bc = _basic_constraints(path[0])
    if leaf_bc is not None and leaf_bc.ca:
        problems.append(f"the signer's certificate {_dn(path[0])} is a CA certificate")
    for depth, ca in enumerate(path[1:]):  # depth = CA certificates between `ca` and the signer
        bc = _basic_constraints(ca)
        if bc is None or not bc.ca:
            problems.append(f"{_dn(ca)} is not a CA (basicConstraints)")
        elif bc.path_length is not None and depth > bc.path_length:
            problems.append(f"{_dn(ca)}: path length {depth} exceeds {bc.path_length}")
        try:
            ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
            if not ku.key_cert_sign:
                problems.append(f"{_dn(ca)} may not sign certificates (keyUsage)")
        except x509.ExtensionNotFound:
            pass
    for cert in path:
        for ext in cert.extensions:
            if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension):
                problems.append(f"{_dn(cert)} has an unknown critical extension {ext.oid.dotted_string}")
    if problems:
        result.fail(Check("ca_constraints", False, "; ".join(problems)), CA_CONSTRAINTS)
    else:
        result.checks.append(Check("ca_constraints", True, "issuers are CAs, signer is not"))


def _read_certs(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        certs = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                 else [x509.load_der_x509_certificate(data)])
        for cert in certs:  # parse lazily-read parts now, so chain checks cannot crash later
            _ = (cert.subject, cert.issuer, list(cert.extensions), cert.not_valid_after_utc)
        return certs
    except (ValueError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
        raise TrustStoreError(f"{path}: not a certificate: {exc}") from None


def _read_crl(path: Path) -> x509.CertificateRevocationList:
    data = path.read_bytes()
    try:
        crl = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        _ = (crl.issuer, crl.last_update_utc, crl.next_update_utc, list(crl))
        return crl
    except ValueError as exc:
        raise TrustStoreError(f"{path}: not a CRL: {exc}") from None


_cache: dict[tuple, TrustStore] = {}
_cache_lock = threading.Lock()
