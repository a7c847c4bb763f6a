"""Validation report, modelled on ETSI EN 319 102-1 indications and sub-indications."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Indication(StrEnum):
    """Overall verdict."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """Why the verdict is not TOTAL_PASSED."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    TRY_LATER = "TRY_LATER"
    GENERIC = "GENERIC"


# message_key -> plain English sentence; the UI translates by key.
MESSAGES = {
    "signature.passed": "The signature is valid.",
    "signature.format_failure": "The document is not a signed XML document in the accepted format.",
    "signature.hash_failure": "The document was changed after it was signed.",
    "signature.sig_crypto_failure": "The signature value does not match the signer's certificate.",
    "signature.legacy_gost_not_supported": (
        "The signature uses the old GOST 34.310-2004 algorithm, which the portal does not check; "
        "sign with a GOST 34.10-2015 or RSA key."
    ),
    "signature.weak_key": "The signer's key is too weak.",
    "signature.untrusted": "The signer's certificate was not issued by a trusted certification authority.",
    "signature.expired": "The signer's certificate had expired at the time of validation.",
    "signature.not_yet_valid": "The signer's certificate was not yet valid at the time of validation.",
    "signature.revoked": "The signer's certificate has been revoked.",
    "signature.revocation_unknown": (
        "The revocation status of the signer's certificate could not be checked; try again later."
    ),
    "signature.chain_constraints": "A certificate in the chain is not allowed to issue certificates.",
    "signature.key_usage": "The signer's certificate is not allowed to make signatures.",
    "signature.wrong_key_purpose": (
        "The document was signed with a key for another purpose (signing key vs authentication key)."
    ),
    "signature.not_legal_entity": (
        "The certificate does not belong to a representative of a legal entity."
    ),
    "signature.bin_mismatch": "The signer's organisation (BIN) is not the expected one.",
    "signature.internal_error": "The signature could not be checked because of an internal error.",
}


@dataclass
class Check:
    """One named step of the validation and its outcome."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class Signer:
    """Who signed, as read from the signer's certificate."""

    iin: str | None = None
    bin: str | None = None
    organization: str | None = None
    common_name: str | None = None
    surname: str | None = None
    given_name: str | None = None  # attribute G; НУЦ РК puts the patronymic there
    role: str | None = None
    certificate_serial: str | None = None  # lower-case hex
    issuer: str | None = None
    not_before: str | None = None
    not_after: str | None = None


@dataclass
class ValidationReport:
    """Result of verify(): always produced, whatever the input."""

    indication: Indication
    sub_indication: SubIndication | None
    message_key: str
    validation_time: str
    signer: Signer = field(default_factory=Signer)  # empty when no certificate was read
    checks: list[Check] = field(default_factory=list)
    # The verified tree's signed content (see xmlparse.signed_content); set only when
    # TOTAL_PASSED. Not serialised: the portal reads business data from here.
    content: Any = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.indication == Indication.TOTAL_PASSED

    @property
    def message(self) -> str:
        return MESSAGES.get(self.message_key, self.message_key)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def algorithm(self) -> str | None:
        """The signature algorithm as the "algorithm" check names it, e.g.
        "GOST 34.10-2015 512-bit with Streebog-512" or "RSA 2048 bits with SHA-256"."""
        check = self.check("algorithm")
        return check.detail if check is not None and check.passed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": str(self.indication),
            "sub_indication": str(self.sub_indication) if self.sub_indication else None,
            "message_key": self.message_key,
            "message": self.message,
            "validation_time": self.validation_time,
            "signer": asdict(self.signer),
            "checks": [asdict(c) for c in self.checks],
        }

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)


@dataclass(frozen=True)
class Failure:
    """The verdict a failed check leads to."""

    indication: Indication
    sub_indication: SubIndication
    message_key: str


class SignatureRefused(Exception):
    """A signed document the portal does not accept; key is a messages.SENTENCES key (also services.SignatureRefused:
    here, beside the report it carries, so the schemas can raise it without importing the services)."""

    def __init__(self, key: str, report: ValidationReport | None = None, **params):
        super().__init__(key)
        self.key, self.report, self.params = key, report, params
