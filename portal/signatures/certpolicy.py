"""Who signed (from the certificate subject) and the portal's signing policy for that certificate."""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from . import oids
from .report import Check, Failure, Indication, Signer, SubIndication
from .truststore import dn

I, S = Indication, SubIndication
KEY_USAGE = Failure(I.TOTAL_FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.key_usage")
WRONG_PURPOSE = Failure(I.TOTAL_FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.wrong_key_purpose")
# The holder type is a property of the certificate, not of this signature: a distinct
# sub-indication lets the UI tell "wrong key" from "not a legal entity's certificate".
NOT_LEGAL_ENTITY = Failure(I.TOTAL_FAILED, S.CHAIN_CONSTRAINTS_FAILURE, "signature.not_legal_entity")
BIN_MISMATCH = Failure(I.TOTAL_FAILED, S.SIG_CONSTRAINTS_FAILURE, "signature.bin_mismatch")

_IIN = re.compile(r"^IIN(\d{12})$")
_BIN = re.compile(r"^BIN(\d{12})$")


def _attr(name: x509.Name, oid: ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _eku(cert: x509.Certificate) -> list[ObjectIdentifier]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []
    except ValueError:  # malformed extension
        return []


def role_of(cert: x509.Certificate) -> str | None:
    """first_head / signing_right / financial / hr / employee, legal_entity, individual or None."""
    eku = _eku(cert)
    for oid in eku:
        if oid in oids.LEGAL_ENTITY_ROLES:
            return oids.LEGAL_ENTITY_ROLES[oid]
    if oids.ROLE_LEGAL_ENTITY in eku:
        return "legal_entity"
    if oids.ROLE_INDIVIDUAL in eku:
        return "individual"
    return None


def signer_of(cert: x509.Certificate) -> Signer:
    """Read the signer from a НУЦ РК subject; tolerant of anything odd (fields stay None)."""
    try:
        subject = cert.subject
    except ValueError:
        return Signer(certificate_serial=format(cert.serial_number, "x"))
    iin = _IIN.match(_attr(subject, NameOID.SERIAL_NUMBER) or "")
    bins = [m.group(1) for v in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
            if (m := _BIN.match(str(v.value)))]
    try:
        issuer = dn(cert.issuer)
    except ValueError:
        issuer = None
    return Signer(
        iin=iin.group(1) if iin else None,
        bin=bins[0] if bins else None,
        organization=_attr(subject, NameOID.ORGANIZATION_NAME),
        common_name=_attr(subject, NameOID.COMMON_NAME),
        surname=_attr(subject, NameOID.SURNAME),
        given_name=_attr(subject, NameOID.GIVEN_NAME),
        role=role_of(cert),
        certificate_serial=format(cert.serial_number, "x"),
        issuer=issuer,
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
    )


def check_policy(cert: x509.Certificate, signer: Signer, *, purpose: str,
                 expect_bin: str | None) -> tuple[list[Check], Failure | None]:
    """keyUsage, purpose EKU, legal-entity role and expected BIN; first failure decides."""
    checks: list[Check] = []
    failure: Failure | None = None

    def add(check: Check, on_fail: Failure) -> None:
        nonlocal failure
        checks.append(check)
        if not check.passed and failure is None:
            failure = on_fail

    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        ok = ku.digital_signature or ku.content_commitment
        add(Check("key_usage", ok, "digitalSignature/nonRepudiation" if ok
                  else "neither digitalSignature nor nonRepudiation"), KEY_USAGE)
    except x509.ExtensionNotFound:
        add(Check("key_usage", False, "no keyUsage extension"), KEY_USAGE)

    eku = _eku(cert)
    want = oids.PURPOSE_EKU[purpose]
    add(Check("extended_key_usage", want in eku,
              f"{purpose} key ({want.dotted_string})" if want in eku
              else f"not a {purpose} key: {want.dotted_string} missing from extended key usage"),
        WRONG_PURPOSE)

    role = oids.ROLE_LEGAL_ENTITY in eku or any(o in oids.LEGAL_ENTITY_ROLES for o in eku)
    if not role:
        detail = (f"no legal-entity role ({oids.ROLE_LEGAL_ENTITY.dotted_string}); "
                  f"holder: {signer.role or 'unknown'}")
    elif signer.bin is None:
        detail = "legal-entity role but no OU=BIN… in the subject"
    else:
        detail = f"legal entity {signer.bin}, role {signer.role}"
    add(Check("legal_entity_role", role and signer.bin is not None, detail), NOT_LEGAL_ENTITY)

    if expect_bin is not None:
        same = signer.bin is not None and signer.bin == expect_bin.strip()
        add(Check("expected_bin", same, f"BIN {signer.bin}, expected {expect_bin}"), BIN_MISMATCH)
    return checks, failure
