"""A development PKI shaped like НУЦ РК's. Dev and tests only: private keys are unencrypted.

``init_pki(dir)`` writes (file names are fixed; ``<BIN>`` is the organisation's BIN)::

    DIR/manifest.json              what each file is (paths relative to DIR)
    DIR/trust/ca.pem               root CA certificate  } this folder is the TRUST_STORE
    DIR/trust/ca.crl               root CA CRL (PEM)    }
    DIR/ca/ca.key                  root CA private key (kept out of trust/)
    DIR/orgs/<BIN>/sign.pem|.key      signing, first head (EKU 3.4 + 4.1.2 + 4.1.2.1, policy 2.1)
    DIR/orgs/<BIN>/auth.pem|.key      authentication, first head (EKU 3.2 + 4.1.2 + 4.1.2.1, policy 2.2)
    DIR/orgs/<BIN>/employee.pem|.key  signing, role employee (4.1.2.5)
    DIR/orgs/<BIN>/expired.pem|.key   signing, expired a year ago
    DIR/orgs/<BIN>/revoked.pem|.key   signing, listed in trust/ca.crl
    DIR/individual/sign.pem|.key      individual's signing cert (4.1.1, no O/OU, policy 2.3)
    DIR/provider/sign.pem|.key        the ministry's signatory (signing right) for decisions
    DIR/authority/sign.pem|.key       the quality-control authority's official, for decisions on complaints
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import oids
from .signing import sign_xml  # noqa: F401  (re-exported: pki.sign_xml)


def with_control_digit(first11: str) -> str:
    """Append the IIN/BIN control digit (weights 1..11, then 3..11,1,2 if the first gives 10)."""
    digits = [int(d) for d in first11]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(d * w for d, w in zip(digits, weights)) % 11
        if check != 10:
            return first11 + str(check)
    raise ValueError(f"{first11}: no valid control digit, pick another serial")


DEMO_ORGANIZATIONS = [
    {"bin": with_control_digit("22034000512"), "name": "ТОО «Tengri Hash Pool»",
     "head_iin": with_control_digit("80011530012"), "head_name": "АХМЕТОВ АРМАН СЕРИКОВИЧ",
     "employee_iin": with_control_digit("95072140023"),
     "employee_name": "ОМАРОВА ДАНА ЕРЛАНОВНА"},
    {"bin": with_control_digit("23114000777"), "name": "ТОО «Altyn Mining Pool»",
     "head_iin": with_control_digit("76120340045"), "head_name": "ЖУМАБАЕВА АЙГУЛЬ НУРЛАНОВНА"},
]
DEMO_INDIVIDUAL = {"iin": with_control_digit("90051230056"), "name": "СЕРИКОВ ДАНИЯР БОЛАТОВИЧ"}
DEMO_PROVIDER = {
    "bin": with_control_digit("19014000123"),
    "name": "РГУ «Министерство цифрового развития, инноваций и аэрокосмической промышленности РК»",
    "iin": with_control_digit("78030530067"), "person": "ИСКАКОВ НУРЛАН МАРАТОВИЧ",
}

# The quality-control authority, which signs its decisions on complaints (п.19).
DEMO_AUTHORITY = {
    "bin": with_control_digit("19024000456"),
    "name": "РГУ «Комитет по оценке и контролю за качеством оказания государственных услуг»",
    "iin": with_control_digit("81041530078"), "person": "САПАРОВА ГУЛЬНАР АСКАРОВНА",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def person_name(iin: str, full_name: str, *, bin: str | None = None,
                organization: str | None = None) -> x509.Name:
    """Subject as НУЦ РК writes it: CN "SURNAME NAME", SURNAME, SERIALNUMBER=IIN…, C, O, OU=BIN…, G."""
    words = full_name.split()
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, " ".join(words[:2])),
             x509.NameAttribute(NameOID.SURNAME, words[0]),
             x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"),
             x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if bin:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"))
    if len(words) > 2:
        attrs.append(x509.NameAttribute(NameOID.GIVEN_NAME, " ".join(words[2:])))
    return x509.Name(attrs)


def make_ca(common_name: str = "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) DEV",
            *, key: rsa.RSAPrivateKey | None = None, years: int = 10):
    """A self-signed root CA: returns (key, cert)."""
    key = key or new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            # Starts 3 years back so the expired demo certificate had a valid issuer.
            .not_valid_before(now - dt.timedelta(days=3 * 365))
            .not_valid_after(now + dt.timedelta(days=years * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue_cert(ca_key, ca_cert: x509.Certificate, subject: x509.Name, public_key, *,
               eku: list, policies: list, key_usage: str = "sign",
               not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
               is_ca: bool = False) -> x509.Certificate:
    """Issue a certificate. key_usage "sign" = digitalSignature+nonRepudiation,
    "auth" = digitalSignature+keyEncipherment, "none" = no keyUsage extension."""
    now = _now()
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before or now - dt.timedelta(days=1))
         .not_valid_after(not_after or now + dt.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                        critical=False))
    if key_usage == "sign":
        b = b.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                            critical=True)
    elif key_usage == "auth":
        b = b.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                            critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if policies:
        b = b.add_extension(x509.CertificatePolicies([x509.PolicyInformation(p, None) for p in policies]),
                            critical=False)
    return b.sign(ca_key, hashes.SHA256())


def make_crl(ca_key, ca_cert: x509.Certificate, revoked: list[tuple[int, dt.datetime]],
             *, days: int = 365) -> x509.CertificateRevocationList:
    """A CRL of (serial, revocation time); next update `days` ahead (long, as this is dev)."""
    now = _now()
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
         .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=days))
         .add_extension(x509.CRLNumber(1), critical=False))
    for serial, when in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return b.sign(ca_key, hashes.SHA256())


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _legal_eku(purpose: str, role: str) -> list:
    return [oids.PURPOSE_EKU[purpose], oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS[role]]


def init_pki(directory: str | os.PathLike, organizations: list[dict] | None = None, *,
             overwrite: bool = False) -> dict:
    """Create the dev PKI in `directory` (layout in the module docstring); return the manifest.

    organizations: [{bin, name, head_iin, head_name ("SURNAME NAME PATRONYMIC"),
    optional employee_iin, employee_name}]; DEMO_ORGANIZATIONS by default.
    """
    base = Path(directory)
    if (base / "trust" / "ca.pem").exists() and not overwrite:
        raise FileExistsError(f"{base} already holds a PKI")
    orgs = organizations if organizations is not None else DEMO_ORGANIZATIONS
    ca_key, ca_cert = make_ca()
    now = _now()
    manifest: dict = {"trust_dir": "trust",
                      "ca": {"cert": "trust/ca.pem", "crl": "trust/ca.crl", "key": "ca/ca.key"},
                      "organizations": []}
    revoked: list[tuple[int, dt.datetime]] = []

    def write(rel: str, subject: x509.Name, **kw) -> dict:
        key = new_key()
        cert = issue_cert(ca_key, ca_cert, subject, key.public_key(), **kw)
        _write(base / f"{rel}.key", key_pem(key), private=True)
        _write(base / f"{rel}.pem", cert_pem(cert))
        return {"cert": f"{rel}.pem", "key": f"{rel}.key", "serial": format(cert.serial_number, "x")}

    for org in orgs:
        b, name = org["bin"], org["name"]
        head = person_name(org["head_iin"], org["head_name"], bin=b, organization=name)
        sign = {"eku": _legal_eku("sign", "first_head"), "policies": [oids.POLICY_LEGAL_SIGN]}
        certs = {
            "sign": write(f"orgs/{b}/sign", head, **sign),
            "auth": write(f"orgs/{b}/auth", head, eku=_legal_eku("auth", "first_head"),
                          policies=[oids.POLICY_LEGAL_AUTH], key_usage="auth"),
            "employee": write(
                f"orgs/{b}/employee",
                person_name(org.get("employee_iin", org["head_iin"]),
                            org.get("employee_name", org["head_name"]), bin=b, organization=name),
                eku=_legal_eku("sign", "employee"), policies=[oids.POLICY_LEGAL_SIGN]),
            "expired": write(f"orgs/{b}/expired", head, **sign,
                             not_before=now - dt.timedelta(days=2 * 365),
                             not_after=now - dt.timedelta(days=365)),
            "revoked": write(f"orgs/{b}/revoked", head, **sign,
                             not_before=now - dt.timedelta(days=30)),
        }
        revoked.append((int(certs["revoked"]["serial"], 16), now - dt.timedelta(days=1)))
        manifest["organizations"].append({"bin": b, "name": name, "head_iin": org["head_iin"],
                                          "certs": certs})

    ind = DEMO_INDIVIDUAL
    manifest["individual"] = {"iin": ind["iin"], **write(
        "individual/sign", person_name(ind["iin"], ind["name"]),
        eku=[oids.EKU_SIGN, oids.ROLE_INDIVIDUAL], policies=[oids.POLICY_INDIVIDUAL_SIGN])}
    prov = DEMO_PROVIDER
    manifest["provider"] = {"bin": prov["bin"], "name": prov["name"], **write(
        "provider/sign",
        person_name(prov["iin"], prov["person"], bin=prov["bin"], organization=prov["name"]),
        eku=_legal_eku("sign", "signing_right"), policies=[oids.POLICY_LEGAL_SIGN])}
    auth = DEMO_AUTHORITY
    manifest["authority"] = {"bin": auth["bin"], "name": auth["name"], **write(
        "authority/sign",
        person_name(auth["iin"], auth["person"], bin=auth["bin"], organization=auth["name"]),
        eku=_legal_eku("sign", "signing_right"), policies=[oids.POLICY_LEGAL_SIGN])}

    _write(base / "ca" / "ca.key", key_pem(ca_key), private=True)
    _write(base / "trust" / "ca.pem", cert_pem(ca_cert))
    _write(base / "trust" / "ca.crl",
           make_crl(ca_key, ca_cert, revoked).public_bytes(serialization.Encoding.PEM))
    _write(base / "manifest.json",
           json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return manifest


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
