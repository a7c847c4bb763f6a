"""gost.py: Streebog against GOST R 34.11-2012's examples, the curve arithmetic, keys and NCA byte order."""

import base64
import secrets
from pathlib import Path

import gostcrypto.gosthash
import gostcrypto.gostsignature
import pytest
from cryptography import x509
from lxml import etree

from portal.signatures import gost, pki

VECTORS = Path(__file__).parent / "vectors"
DS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}

# GOST R 34.11-2012, appendix A: the messages and hashes as the standard prints them (most significant
# byte first); in memory, and as Streebog is fed and read here, they are the same bytes reversed.
M1 = "323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130"
M2 = ("fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6"
      "f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1")
H512 = {M1: "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
            "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b",
        M2: "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
            "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"}
H256 = {M1: "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d",
        M2: "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"}


def printed(hex_: str) -> bytes:
    return bytes.fromhex(hex_)[::-1]


@pytest.mark.parametrize("message", [M1, M2], ids=["M1", "M2"])
def test_streebog_standard_examples(message):
    assert gost.streebog(printed(message), 512) == printed(H512[message])
    assert gost.streebog(printed(message), 256) == printed(H256[message])


@pytest.mark.parametrize("length", [0, 1, 55, 63, 64, 65, 127, 128, 129, 1000, 4097])
def test_streebog_agrees_with_gostcrypto(length):
    data = secrets.token_bytes(length)
    for size, name in ((512, "streebog512"), (256, "streebog256")):
        reference = gostcrypto.gosthash.new(name)
        reference.update(data)
        assert gost.streebog(data, size) == bytes(reference.digest()), (length, size)


def test_streebog_carries_across_512_bits():
    # Sigma (the sum of the blocks mod 2^512) overflows on all-0xff blocks: the carry must be dropped.
    data = b"\xff" * 64 * 3
    reference = gostcrypto.gosthash.new("streebog512")
    reference.update(data)
    assert gost.streebog(data) == bytes(reference.digest())


def test_streebog_refuses_other_sizes():
    with pytest.raises(ValueError):
        gost.streebog(b"x", 384)


@pytest.mark.parametrize("curve", [gost.TC26_512_A, gost.TC26_512_B, gost.TC26_256_A, gost.CRYPTOPRO_A],
                         ids=lambda c: c.name)
def test_sign_verify_round_trip(curve):
    key = gost.generate_private_key(curve)
    public = key.public_key()
    digest = gost.streebog(b"document", curve.size)
    signature = gost.sign(key, digest)
    assert len(signature) == 2 * curve.length
    assert gost.verify(public, digest, signature)
    assert not gost.verify(public, gost.streebog(b"documenT", curve.size), signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not gost.verify(public, digest, flipped)
    assert not gost.verify(gost.generate_private_key(curve).public_key(), digest, signature)


def test_verify_refuses_out_of_range_values():
    key = gost.generate_private_key()
    digest = gost.streebog(b"x")
    n, q = key.curve.length, key.curve.q
    for r, s in ((0, 1), (1, 0), (q, 1), (1, q)):
        assert not gost.verify(key.public_key(), digest, r.to_bytes(n, "little") + s.to_bytes(n, "little"))
    assert not gost.verify(key.public_key(), digest, gost.sign(key, digest)[:-1])


def gostcrypto_form(curve: gost.Curve):
    """gostcrypto's signer for the curve: it reads every number big-endian and signatures as r||s."""
    params = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[curve.name]
    mode = gostcrypto.gostsignature.MODE_512 if curve.size == 512 else gostcrypto.gostsignature.MODE_256
    return gostcrypto.gostsignature.new(mode, params)


def test_our_signature_verifies_in_gostcrypto_with_nca_byte_order():
    """The NCA order (r||s and X||Y little-endian, hash reversed) is the standard's order mirrored."""
    key = gost.generate_private_key()
    digest = gost.streebog(b"cross-check")
    signature = gost.sign(key, digest)
    n = key.curve.length
    public = key.public_key()
    be_public = public.x.to_bytes(n, "big") + public.y.to_bytes(n, "big")
    be_signature = signature[:n][::-1] + signature[n:][::-1]
    assert gostcrypto_form(key.curve).verify(be_public, digest[::-1], be_signature)


def test_gostcrypto_signature_verifies_here():
    key = gost.generate_private_key()
    n = key.curve.length
    digest = gost.streebog(b"the other way")
    be = gostcrypto_form(key.curve).sign(key.d.to_bytes(n, "big"), digest[::-1])
    assert gost.verify(key.public_key(), digest, be[:n][::-1] + be[n:][::-1])


def vector():
    root = etree.fromstring((VECTORS / "nca-gost2015-512-test-signature.xml").read_bytes())
    cert = x509.load_der_x509_certificate(
        base64.b64decode(root.find(".//ds:X509Certificate", DS).text))
    return root, cert


def test_public_key_of_the_nca_vector():
    _, cert = vector()
    key = gost.public_key_of(cert)
    assert key.curve is gost.TC26_512_A and key.size == 512
    assert gost.key_algorithm_of(cert) == "1.2.398.3.10.1.1.2.2"
    # The SubjectPublicKeyInfo written back is byte for byte the NCA's.
    assert key.spki_der() == gost.spki_of(cert)


def test_the_nca_vector_signature_with_the_curve_math():
    root, cert = vector()
    signed_info = etree.tostring(root.find(".//ds:SignedInfo", DS), method="c14n")
    value = base64.b64decode(root.find(".//ds:SignatureValue", DS).text)
    key = gost.public_key_of(cert)
    assert gost.verify(key, gost.streebog(signed_info), value)
    # r first: the halves swapped do not verify, nor does the hash in the printed order.
    assert not gost.verify(key, gost.streebog(signed_info), value[64:] + value[:64])
    assert not gost.verify(key, gost.streebog(signed_info)[::-1], value)


def test_nca_ca_signatures_on_certificate_and_crl():
    _, cert = vector()
    ca = x509.load_der_x509_certificate((VECTORS / "nca-gost2022-test-ca.cer").read_bytes())
    crl = x509.load_der_x509_crl((VECTORS / "nca-gost2022-test-ca.crl").read_bytes())
    ca_key = gost.public_key_of(ca)
    assert gost.certificate_signed_by(cert, ca_key)
    assert gost.crl_signed_by(crl, ca_key)
    assert not gost.certificate_signed_by(ca, ca_key)  # issued by the NCA's root, not by itself
    assert not gost.certificate_signed_by(cert, gost.public_key_of(cert))
    assert gost.signature_size(cert.signature_algorithm_oid.dotted_string) == 512


def test_private_key_pem_round_trip_and_layout():
    key = gost.generate_private_key()
    pem = gost.private_key_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert gost.load_private_key(pem).d == key.d
    assert gost.load_private_key(pem.decode()).public_key() == key.public_key()
    der = gost.private_key_der(key)
    # PrivateKeyInfo: version 0, the key's AlgorithmIdentifier, OCTET STRING of d little-endian.
    assert der.endswith(b"\x04\x40" + key.d.to_bytes(64, "little"))
    assert b"\x06\x09\x2a\x83\x0e\x03\x0a\x01\x01\x02\x02" in der  # 1.2.398.3.10.1.1.2.2
    assert repr(key) == "PrivateKey(id-tc26-gost-3410-12-512-paramSetA)"  # the scalar never printed


def test_private_key_pem_wrapped_as_rfc_9215_loads():
    key = gost.generate_private_key()
    inner = gost._der(0x04, key.d.to_bytes(64, "little"))
    der = gost._der(0x30, gost._der(0x02, b"\x00") + gost._algorithm_identifier(key.curve)
                    + gost._der(0x04, inner))
    pem = b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END PRIVATE KEY-----\n"
    assert gost.load_private_key(pem).d == key.d


def test_an_rsa_key_is_not_a_gost_key():
    assert gost.load_private_key(pki.key_pem(pki.new_key())) is None


def test_a_point_off_the_curve_is_refused():
    key = gost.generate_private_key().public_key()
    bad = gost.PublicKey(key.curve, key.x, key.y ^ 1)
    with pytest.raises(gost.GostError):
        gost.load_public_key(bad.spki_der())
    assert not gost.verify(bad, gost.streebog(b"x"), b"\x01" * 128)


def test_gost_ca_of_the_dev_pki_is_self_signed():
    key, ca = pki.make_gost_ca()
    assert ca.subject == ca.issuer
    assert gost.public_key_of(ca) == key.public_key()
    assert gost.certificate_signed_by(ca, key.public_key())
    assert ca.signature_algorithm_oid.dotted_string == "1.2.398.3.10.1.1.2.3.2"
    crl = pki.make_crl(key, ca, [(12345, ca.not_valid_before_utc)])
    assert gost.crl_signed_by(crl, key.public_key())
    assert crl.get_revoked_certificate_by_serial_number(12345) is not None
