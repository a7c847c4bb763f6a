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

and the same in GOST 34.10-2015 512-bit (NCA conventions, see gost.py), under a GOST root CA::

    DIR/trust/gost-ca.pem          GOST root CA certificate  } in the TRUST_STORE too
    DIR/trust/gost-ca.crl          its CRL (PEM)             }
    DIR/ca/gost-ca.key             its private key (gost.py's PKCS#8 PEM)
    DIR/orgs/<BIN>/gost/{sign,auth,employee,expired,revoked}.pem|.key
    DIR/individual/gost/sign.pem|.key, DIR/provider/gost/sign.pem|.key, DIR/authority/gost/sign.pem|.key

With ``people=[...]`` each person also gets their own keys (interface 1 between the helpers)::

    DIR/people/<username>/{sign,auth}.key|.pem        RSA-2048 under trust/ca.pem
    DIR/people/<username>/gost/{sign,auth}.key|.pem   GOST 2015 512-bit under trust/gost-ca.pem

GOST certificates and CRLs are built with cryptography's builders (signed with a throwaway EC
key) and then given the GOST key and re-signed by gost.resign_certificate / resign_crl.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from . import gost, oids
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


def new_gost_key(curve: gost.Curve = gost.TC26_512_A) -> gost.PrivateKey:
    return gost.generate_private_key(curve)


@lru_cache(maxsize=1)
def _throwaway() -> ec.EllipticCurvePrivateKey:
    """Signs the builders' templates of GOST certificates and CRLs; its signature is replaced."""
    return ec.generate_private_key(ec.SECP256R1())


def _public(key):
    """The public key of an RSA or GOST private key."""
    return key.public_key()


def _key_ids(public_key, issuer_public_key) -> tuple[x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier]:
    if isinstance(public_key, gost.PublicKey):
        ski = x509.SubjectKeyIdentifier(public_key.key_identifier())
    else:
        ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    if isinstance(issuer_public_key, gost.PublicKey):
        aki = x509.AuthorityKeyIdentifier(issuer_public_key.key_identifier(), None, None)
    else:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key)
    return ski, aki


def _sign(builder, ca_key, subject_key=None):
    """builder.sign with an RSA CA key, or the GOST path: template signed by the throwaway key,
    then the GOST subject key put in and the whole re-signed with the GOST CA key."""
    if isinstance(ca_key, gost.PrivateKey):
        template = builder.sign(_throwaway(), hashes.SHA256())
        der = template.public_bytes(serialization.Encoding.DER)
        if isinstance(template, x509.CertificateRevocationList):
            return x509.load_der_x509_crl(gost.resign_crl(der, ca_key))
        return x509.load_der_x509_certificate(gost.resign_certificate(der, ca_key, subject_key))
    if subject_key is not None:
        raise ValueError("an RSA CA issues GOST certificates only through a GOST CA here")
    return builder.sign(ca_key, hashes.SHA256())


def _builder_key(public_key):
    """What the certificate builder is given as the subject key (GOST keys are swapped in afterwards)."""
    return _throwaway().public_key() if isinstance(public_key, gost.PublicKey) else public_key


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
            *, key=None, years: int = 10):
    """A self-signed root CA: returns (key, cert). key: RSA (default new) or a gost.PrivateKey."""
    key = key or new_key()
    public = _public(key)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    now = _now()
    ski, _ = _key_ids(public, public)
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name).public_key(_builder_key(public))
               .serial_number(x509.random_serial_number())
               # Starts 3 years back so the expired demo certificate had a valid issuer.
               .not_valid_before(now - dt.timedelta(days=3 * 365))
               .not_valid_after(now + dt.timedelta(days=years * 365))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                              critical=True)
               .add_extension(ski, critical=False))
    gost_subject = public if isinstance(public, gost.PublicKey) else None
    return key, _sign(builder, key, gost_subject)


def make_gost_ca(common_name: str = "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) DEV", *, years: int = 10):
    """A self-signed GOST 34.10-2015 512-bit root CA: returns (gost.PrivateKey, cert)."""
    return make_ca(common_name, key=new_gost_key(), years=years)


def issue_cert(ca_key, ca_cert: x509.Certificate, subject: x509.Name, public_key, *,
               eku: list, policies: list, key_usage: str = "sign",
               not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
               is_ca: bool = False) -> x509.Certificate:
    """Issue a certificate. key_usage "sign" = digitalSignature+nonRepudiation,
    "auth" = digitalSignature+keyEncipherment, "none" = no keyUsage extension.
    ca_key RSA with an RSA public_key, or a gost.PrivateKey with a gost.PublicKey (or an RSA key)."""
    now = _now()
    ski, aki = _key_ids(public_key, _public(ca_key))
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(ca_cert.subject).public_key(_builder_key(public_key))
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before or now - dt.timedelta(days=1))
         .not_valid_after(not_after or now + dt.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
         .add_extension(ski, critical=False)
         .add_extension(aki, critical=False))
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
    return _sign(b, ca_key, public_key if isinstance(public_key, gost.PublicKey) else None)


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
    return _sign(b, ca_key)


def key_pem(key) -> bytes:
    """PKCS#8 PEM of an RSA key, or gost.py's PEM of a GOST key."""
    if isinstance(key, gost.PrivateKey):
        return gost.private_key_pem(key)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _legal_eku(purpose: str, role: str) -> list:
    return [oids.PURPOSE_EKU[purpose], oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS[role]]


class _Issuer:
    """One CA of the dev PKI: issues and writes key pairs of its own algorithm, collects revocations."""

    def __init__(self, base: Path, key, cert: x509.Certificate):
        self.base, self.key, self.cert = base, key, cert
        self.gost = isinstance(key, gost.PrivateKey)
        self.revoked: list[tuple[int, dt.datetime]] = []

    def write(self, rel: str, subject: x509.Name, **kw) -> dict:
        key = new_gost_key() if self.gost else new_key()
        cert = issue_cert(self.key, self.cert, subject, key.public_key(), **kw)
        _write(self.base / f"{rel}.key", key_pem(key), private=True)
        _write(self.base / f"{rel}.pem", cert_pem(cert))
        return {"cert": f"{rel}.pem", "key": f"{rel}.key", "serial": format(cert.serial_number, "x")}

    def finish(self, cert_rel: str, crl_rel: str, key_rel: str) -> dict:
        _write(self.base / key_rel, key_pem(self.key), private=True)
        _write(self.base / cert_rel, cert_pem(self.cert))
        _write(self.base / crl_rel,
               make_crl(self.key, self.cert, self.revoked).public_bytes(serialization.Encoding.PEM))
        return {"cert": cert_rel, "crl": crl_rel, "key": key_rel}


def _person_kinds(person: dict) -> dict[str, dict]:
    """The sign and auth certificate profiles of one person of init_pki(people=...)."""
    bin_, role = person.get("bin"), person.get("role")
    if bin_ is None and role is None:
        return {"sign": {"eku": [oids.EKU_SIGN, oids.ROLE_INDIVIDUAL], "policies": [oids.POLICY_INDIVIDUAL_SIGN]},
                "auth": {"eku": [oids.EKU_AUTH, oids.ROLE_INDIVIDUAL], "policies": [oids.POLICY_INDIVIDUAL_AUTH],
                         "key_usage": "auth"}}
    roles = [oids.ROLE_LEGAL_ENTITY] + ([oids.ROLE_OIDS[role]] if role else [])
    return {"sign": {"eku": [oids.EKU_SIGN, *roles], "policies": [oids.POLICY_LEGAL_SIGN]},
            "auth": {"eku": [oids.EKU_AUTH, *roles], "policies": [oids.POLICY_LEGAL_AUTH], "key_usage": "auth"}}


def init_pki(directory: str | os.PathLike, organizations: list[dict] | None = None, *,
             people: list[dict] | None = None, overwrite: bool = False) -> dict:
    """Create the dev PKI in `directory` (layout in the module docstring); return the manifest.

    organizations: [{bin, name, head_iin, head_name ("SURNAME NAME PATRONYMIC"),
    optional employee_iin, employee_name}]; DEMO_ORGANIZATIONS by default.
    people: [{username, iin, name, bin|None, organization|None,
    role "first_head"|"signing_right"|"employee"|None}] (no bin and no role: an individual);
    each gets RSA and GOST sign/auth keys under people/<username>/ (manifest["people"]).
    """
    base = Path(directory)
    if (base / "trust" / "ca.pem").exists() and not overwrite:
        raise FileExistsError(f"{base} already holds a PKI")
    orgs = organizations if organizations is not None else DEMO_ORGANIZATIONS
    rsa_ca = _Issuer(base, *make_ca())
    gost_ca = _Issuer(base, *make_gost_ca())
    now = _now()
    manifest: dict = {"trust_dir": "trust",
                      "ca": {"cert": "trust/ca.pem", "crl": "trust/ca.crl", "key": "ca/ca.key"},
                      "gost_ca": {"cert": "trust/gost-ca.pem", "crl": "trust/gost-ca.crl",
                                  "key": "ca/gost-ca.key"},
                      "organizations": []}
    for org in orgs:
        b = org["bin"]
        manifest["organizations"].append({"bin": b, "name": org["name"], "head_iin": org["head_iin"],
                                          "certs": _org_set(rsa_ca, f"orgs/{b}", org, now),
                                          "gost_certs": _org_set(gost_ca, f"orgs/{b}/gost", org, now)})
    manifest.update(_bodies(rsa_ca, gost_ca))
    if people:
        manifest["people"] = _people(people, rsa_ca, gost_ca)
    rsa_ca.finish("trust/ca.pem", "trust/ca.crl", "ca/ca.key")
    gost_ca.finish("trust/gost-ca.pem", "trust/gost-ca.crl", "ca/gost-ca.key")
    _write(base / "manifest.json",
           json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return manifest


def _org_set(ca: _Issuer, folder: str, org: dict, now: dt.datetime) -> dict:
    """An organisation's certificates from one CA: the head's signing and log-in keys, an employee's, an expired
    and a revoked one."""
    b, name = org["bin"], org["name"]
    head = person_name(org["head_iin"], org["head_name"], bin=b, organization=name)
    sign = {"eku": _legal_eku("sign", "first_head"), "policies": [oids.POLICY_LEGAL_SIGN]}
    certs = {
        "sign": ca.write(f"{folder}/sign", head, **sign),
        "auth": ca.write(f"{folder}/auth", head, eku=_legal_eku("auth", "first_head"),
                         policies=[oids.POLICY_LEGAL_AUTH], key_usage="auth"),
        "employee": ca.write(
            f"{folder}/employee",
            person_name(org.get("employee_iin", org["head_iin"]),
                        org.get("employee_name", org["head_name"]), bin=b, organization=name),
            eku=_legal_eku("sign", "employee"), policies=[oids.POLICY_LEGAL_SIGN]),
        "expired": ca.write(f"{folder}/expired", head, **sign,
                            not_before=now - dt.timedelta(days=2 * 365),
                            not_after=now - dt.timedelta(days=365)),
        "revoked": ca.write(f"{folder}/revoked", head, **sign,
                            not_before=now - dt.timedelta(days=30)),
    }
    ca.revoked.append((int(certs["revoked"]["serial"], 16), now - dt.timedelta(days=1)))
    return certs


def _both(rsa_ca: _Issuer, gost_ca: _Issuer, rel: str, subject: x509.Name, **kw) -> dict:
    """The RSA entry as before, with its GOST twin under "gost" (…/gost/<name>)."""
    folder, name = rel.rsplit("/", 1)
    return {**rsa_ca.write(rel, subject, **kw),
            "gost": gost_ca.write(f"{folder}/gost/{name}", subject, **kw)}


def _bodies(rsa_ca: _Issuer, gost_ca: _Issuer) -> dict:
    """The demo individual's signing key, and the provider's and the authority's signatories'."""
    ind = DEMO_INDIVIDUAL
    individual = {"iin": ind["iin"], **_both(
        rsa_ca, gost_ca, "individual/sign", person_name(ind["iin"], ind["name"]),
        eku=[oids.EKU_SIGN, oids.ROLE_INDIVIDUAL], policies=[oids.POLICY_INDIVIDUAL_SIGN])}
    prov = DEMO_PROVIDER
    provider = {"bin": prov["bin"], "name": prov["name"], **_both(
        rsa_ca, gost_ca, "provider/sign",
        person_name(prov["iin"], prov["person"], bin=prov["bin"], organization=prov["name"]),
        eku=_legal_eku("sign", "signing_right"), policies=[oids.POLICY_LEGAL_SIGN])}
    auth = DEMO_AUTHORITY
    authority = {"bin": auth["bin"], "name": auth["name"], **_both(
        rsa_ca, gost_ca, "authority/sign",
        person_name(auth["iin"], auth["person"], bin=auth["bin"], organization=auth["name"]),
        eku=_legal_eku("sign", "signing_right"), policies=[oids.POLICY_LEGAL_SIGN])}
    return {"individual": individual, "provider": provider, "authority": authority}


def _people(people: list[dict], rsa_ca: _Issuer, gost_ca: _Issuer) -> dict:
    """Each named person's RSA and GOST keys under people/<username>/, by username."""
    entries = {}
    for person in people:
        username = person["username"]
        if not username or "/" in username or username.startswith("."):
            raise ValueError(f"bad username for a folder name: {username!r}")
        subject = person_name(person["iin"], person["name"], bin=person.get("bin"),
                              organization=person.get("organization"))
        entry = {"iin": person["iin"], "bin": person.get("bin"), "role": person.get("role"),
                 "rsa": {}, "gost": {}}
        for kind, profile in _person_kinds(person).items():
            entry["rsa"][kind] = rsa_ca.write(f"people/{username}/{kind}", subject, **profile)
            entry["gost"][kind] = gost_ca.write(f"people/{username}/gost/{kind}", subject, **profile)
        entries[username] = entry
    return entries


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
