"""The NCALayer stand-in (portal.signatures.standin): NCALayer's protocol shapes, signing with the dev PKI's
people keys, waiting for a key picked on its page, cancelling, and refusing what NCALayer refuses."""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from websockets.sync.client import connect

from portal.signatures import pki
from portal.signatures.report import Indication
from portal.signatures.standin import StandIn
from portal.signatures.verify import verify
from tests.support.html import Page, text_of

MODULE = "kz.gov.pki.knca.commonUtils"
ROOT = Path(__file__).resolve().parents[2]
ORG = pki.DEMO_ORGANIZATIONS[0]
USER = "tengri-head"
PERSON = {"username": USER, "iin": ORG["head_iin"], "name": ORG["head_name"], "bin": ORG["bin"],
          "organization": ORG["name"], "role": "first_head"}
DOC = '<?xml version="1.0" encoding="UTF-8"?>\n<login xmlns="urn:tyndau:login:1"><nonce>abc</nonce></login>'


@pytest.fixture(scope="session")
def people_pki(tmp_path_factory) -> Path:
    """A dev PKI with one person's keys under people/<USER>/ (RSA, and GOST once init_pki makes them)."""
    base = tmp_path_factory.mktemp("standin-pki")
    if "people" in inspect.signature(pki.init_pki).parameters:
        pki.init_pki(base, people=[PERSON])
    else:  # until init_pki(people=) lands: the organisation head's RSA keys are the same person's
        pki.init_pki(base)
        (base / "people" / USER).mkdir(parents=True)
        for name in ("sign.key", "sign.pem", "auth.key", "auth.pem"):
            shutil.copy(base / "orgs" / ORG["bin"] / name, base / "people" / USER / name)
    return base


@pytest.fixture
def standin(people_pki):
    s = StandIn(people_pki, algorithm="rsa").start()
    yield s
    s.stop()


def call(ws, method: str, *args, module: str = MODULE) -> dict:
    ws.send(json.dumps({"module": module, "method": method, "args": list(args)}))
    return json.loads(ws.recv(timeout=60))


def sign_xml(ws, xml, key_type: str = "SIGNATURE") -> dict:
    return call(ws, "signXml", "PKCS12", key_type, xml, "", "")


@contextmanager
def session(s: StandIn):
    """A connection to the stand-in, past its greeting."""
    with connect(s.url) as ws:
        assert json.loads(ws.recv(timeout=10)) == {"result": {"version": "1.4"}}
        yield ws


def wait_until_waiting(s: StandIn, count: int = 1) -> None:
    """Synchronise with the server thread: the request is parked waiting for a key (not a timing check)."""
    deadline = time.monotonic() + 30
    while s.waiting < count:
        assert time.monotonic() < deadline, "the request never started waiting for a key"
        time.sleep(0.02)


def page(s: StandIn) -> str:
    with urllib.request.urlopen(s.page_url, timeout=10) as response:
        return response.read().decode("utf-8")


def press(s: StandIn, action_prefix: str) -> str:
    """Press the page's button whose form action starts with action_prefix, as a browser would (empty POST)."""
    actions = Page(page(s)).attrs("form[method=post]", "action")
    matching = [a for a in actions if a.startswith(action_prefix)]
    assert matching, f"no button {action_prefix} among {actions}"
    request = urllib.request.Request(s.page_url.rstrip("/") + matching[0], data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # follows the 303 back to the page
        return response.read().decode("utf-8")


def post(s: StandIn, path: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(s.page_url.rstrip("/") + path, data=b"", method="POST",
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def person_file(base: Path, name: str, algorithm: str = "rsa") -> Path:
    folder = base / "people" / USER
    return (folder / "gost" / name) if algorithm == "gost" else folder / name


# -- the protocol -------------------------------------------------------------------------------------


def test_greeting_active_tokens_and_locale(standin):
    with session(standin) as ws:
        assert call(ws, "getActiveTokens") == {"code": "200", "responseObject": []}
        assert call(ws, "changeLocale", "kk") == {"code": "200"}
    assert standin.locale == "kk"
    assert [r["method"] for r in standin.requests] == ["getActiveTokens", "changeLocale"]
    assert standin.url == f"ws://127.0.0.1:{standin.port}" and standin.port > 0
    assert standin.page_url == f"http://127.0.0.1:{standin.port}/"


def test_key_info_describes_the_picked_signing_certificate(standin, people_pki):
    standin.pick(USER)
    with session(standin) as ws:
        answer = call(ws, "getKeyInfo", "PKCS12")
    assert answer["code"] == "200"
    info = answer["responseObject"]
    assert set(info) >= {"alias", "keyId", "algorithm", "subjectCn", "subjectDn", "issuerCn", "issuerDn",
                         "serialNumber", "certNotBefore", "certNotAfter", "authorityKeyIdentifier", "pem"}
    pem = person_file(people_pki, "sign.pem").read_text()
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert info["pem"] == pem and info["algorithm"] == "RSA"
    assert info["serialNumber"] == format(cert.serial_number, "x")
    assert info["subjectCn"] == cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert f"SERIALNUMBER=IIN{ORG['head_iin']}" in info["subjectDn"] and f"OU=BIN{ORG['bin']}" in info["subjectDn"]
    assert info["certNotBefore"] == str(int(cert.not_valid_before_utc.timestamp() * 1000))
    assert info["certNotAfter"] == str(int(cert.not_valid_after_utc.timestamp() * 1000))
    assert info["issuerCn"] and info["authorityKeyIdentifier"] and info["keyId"]


@pytest.mark.parametrize("key_type, purpose, other", [("SIGNATURE", "sign", "auth"),
                                                      ("AUTHENTICATION", "auth", "sign")])
def test_sign_xml_with_the_key_of_its_type(standin, people_pki, key_type, purpose, other):
    standin.pick(USER, "rsa")
    with session(standin) as ws:
        answer = sign_xml(ws, DOC, key_type)
    assert answer["code"] == "200" and isinstance(answer["responseObject"], str)
    signed = answer["responseObject"].encode("utf-8")
    assert verify(signed, people_pki / "trust", purpose=purpose).indication == Indication.TOTAL_PASSED
    # The other kind of key was not used: its purpose is refused.
    assert verify(signed, people_pki / "trust", purpose=other).indication != Indication.TOTAL_PASSED
    cert = person_file(people_pki, f"{purpose}.pem").read_text()
    body = "".join(cert.strip().splitlines()[1:-1])
    assert body in answer["responseObject"].replace("\n", "").replace("\r", "")


def test_sign_xmls_signs_each_document(standin, people_pki):
    standin.pick(USER, "rsa")
    docs = [DOC, DOC.replace("abc", "def")]
    with session(standin) as ws:
        answer = call(ws, "signXmls", "PKCS12", "SIGNATURE", docs, "", "")
    assert answer["code"] == "200" and len(answer["responseObject"]) == 2
    for original, signed in zip(["abc", "def"], answer["responseObject"]):
        assert f"<nonce>{original}</nonce>" in signed
        assert verify(signed.encode(), people_pki / "trust").indication == Indication.TOTAL_PASSED


def test_gost_keys_sign_and_verify(people_pki):
    if importlib.util.find_spec("portal.signatures.gost") is None:
        pytest.skip("portal.signatures.gost (the GOST signer/verifier) does not exist yet")
    if not person_file(people_pki, "sign.key", "gost").exists():
        pytest.skip("init_pki does not write people/<username>/gost/ keys yet")
    with StandIn(people_pki, pick=USER) as s:  # algorithm "gost" is the default
        with session(s) as ws:
            info = call(ws, "getKeyInfo", "PKCS12")["responseObject"]
            signed = {kt: sign_xml(ws, DOC, kt) for kt in ("SIGNATURE", "AUTHENTICATION")}
    assert info["algorithm"] == "ECGOST3410-2015"
    for key_type, purpose in (("SIGNATURE", "sign"), ("AUTHENTICATION", "auth")):
        assert signed[key_type]["code"] == "200", signed[key_type]
        report = verify(signed[key_type]["responseObject"].encode(), people_pki / "trust", purpose=purpose)
        assert report.indication == Indication.TOTAL_PASSED, report


def test_cancel_next_answers_action_canceled_once(standin):
    standin.pick(USER)
    standin.cancel_next()
    with session(standin) as ws:
        assert sign_xml(ws, DOC) == {"code": "500", "message": "action.canceled"}
        assert sign_xml(ws, DOC)["code"] == "200"


@pytest.mark.parametrize("request_, fragment", [
    ({"module": MODULE, "method": "deleteEverything", "args": []}, "method"),
    ({"module": "kz.gov.pki.other", "method": "signXml", "args": []}, "module"),
    ({"module": MODULE, "method": "signXml", "args": ["PKCS12", "SIGNATURE", 42, "", ""]}, "string"),
    ({"module": MODULE, "method": "signXml", "args": ["AKKaztokenStore", "SIGNATURE", DOC, "", ""]}, "storage"),
    ({"module": MODULE, "method": "signXml", "args": ["PKCS12", "ENCRYPTION", DOC, "", ""]}, "keyType"),
    ({"module": MODULE, "method": "signXml", "args": ["PKCS12", "SIGNATURE"]}, "arguments"),
    ({"module": MODULE, "method": "signXml", "args": "PKCS12"}, "list"),
    ({"module": MODULE, "method": "signXml", "args": ["PKCS12", "SIGNATURE", "<a><b></a>", "", ""]}, "sign"),
    ({"module": MODULE, "method": "signXmls", "args": ["PKCS12", "SIGNATURE", DOC, "", ""]}, "list"),
    ({"module": MODULE, "method": "getKeyInfo", "args": []}, "argument"),
])
def test_bad_requests_get_an_error_and_the_connection_stays(standin, request_, fragment):
    standin.pick(USER)
    with session(standin) as ws:
        ws.send(json.dumps(request_))
        answer = json.loads(ws.recv(timeout=30))
        assert answer["code"] == "500" and fragment in answer["message"]
        assert call(ws, "getActiveTokens") == {"code": "200", "responseObject": []}
    assert standin.waiting == 0


def test_already_signed_and_hostile_xml_are_refused(standin):
    standin.pick(USER)
    with session(standin) as ws:
        signed = sign_xml(ws, DOC)["responseObject"]
        again = sign_xml(ws, signed)
        assert again["code"] == "500" and "already signed" in again["message"]
        bomb = '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'
        assert sign_xml(ws, bomb)["code"] == "500"


def test_malformed_json_answers_an_error_and_the_connection_stays(standin):
    with session(standin) as ws:
        for bad in ("{not json", "[1, 2]", b"\x00\x01"):
            ws.send(bad)
            answer = json.loads(ws.recv(timeout=10))
            assert answer["code"] == "500" and answer["message"]
        assert call(ws, "getActiveTokens")["code"] == "200"


# -- waiting for the person: the key-picking page -------------------------------------------------------


def test_a_request_waits_until_a_key_is_picked_on_the_page(standin, people_pki):
    assert "No key picked" in page(standin)
    with session(standin) as ws:
        ws.send(json.dumps({"module": MODULE, "method": "signXml",
                            "args": ["PKCS12", "SIGNATURE", DOC, "", ""]}))
        wait_until_waiting(standin)
        assert "<strong>1</strong> request(s) waiting" in page(standin)
        after = press(standin, f"/pick?username={USER}&algorithm=rsa")
        answer = json.loads(ws.recv(timeout=30))
    assert answer["code"] == "200"
    assert verify(answer["responseObject"].encode(), people_pki / "trust").indication == Indication.TOTAL_PASSED
    assert standin.picked == (USER, "rsa")
    assert f"Signing as <strong>{USER}</strong>" in after and "Key picked" in after
    assert "<td>signXml</td><td>200</td>" in page(standin)  # the last requests


def test_the_page_cancel_button_cancels_the_waiting_request(standin):
    with session(standin) as ws:
        ws.send(json.dumps({"module": MODULE, "method": "getKeyInfo", "args": ["PKCS12"]}))
        wait_until_waiting(standin)
        after = press(standin, "/cancel")
        assert json.loads(ws.recv(timeout=30)) == {"code": "500", "message": "action.canceled"}
    assert "was cancelled" in after and "action.canceled" in after
    # Nothing waits now: pressing again cancels nothing, and a pick afterwards is not eaten.
    assert "No request was waiting" in press(standin, "/cancel")
    standin.pick(USER)
    with session(standin) as ws:
        assert sign_xml(ws, DOC)["code"] == "200"


def test_nobody_picks_in_time_then_action_canceled(people_pki):
    with StandIn(people_pki, algorithm="rsa", wait_seconds=1) as s, session(s) as ws:
        assert sign_xml(ws, DOC) == {"code": "500", "message": "action.canceled"}
        assert s.waiting == 0


def test_pick_given_signs_at_once_and_pick_nobody_waits_again(people_pki):
    with StandIn(people_pki, algorithm="rsa", pick=USER, wait_seconds=1) as s, session(s) as ws:
        assert sign_xml(ws, DOC)["code"] == "200"
        press(s, "/unpick")
        assert s.picked is None
        assert sign_xml(ws, DOC) == {"code": "500", "message": "action.canceled"}


def test_page_lists_people_and_escapes_everything(tmp_path, people_pki):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    hostile = '<script>alert("cn")</script>'
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostile),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, '<img src=x onerror="o()">')])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "people" / "evil").mkdir(parents=True)
    (tmp_path / "people" / "evil" / "sign.pem").write_bytes(cert.public_bytes(pki.serialization.Encoding.PEM))
    (tmp_path / "people" / "<b>x").mkdir()  # not a username: not listed at all
    shutil.copytree(people_pki / "people" / USER, tmp_path / "people" / USER)
    with StandIn(tmp_path, algorithm="rsa") as s:
        with session(s) as ws:
            call(ws, '<img src=x onerror="m()">')
        html = page(s)
        with pytest.raises(ValueError):
            s.pick("<b>x")
    assert "<script>" not in html and "<img" not in html and "<b>x" not in html
    assert "&lt;script&gt;alert(&quot;cn&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;m()&quot;&gt;" in html  # the method name in the last requests
    # The real person: username, CN, IIN, BIN and role, with a button per algorithm they have keys for.
    rows = [text_of(tr) for tr in Page(html).find_all("tr") if tr.xpath("string(td[1])") == USER]
    assert len(rows) == 1, rows
    row = rows[0]
    for shown in (" ".join(ORG["head_name"].split()[:2]), ORG["head_iin"], ORG["bin"], "first_head",
                  "Use for signing (RSA)"):
        assert shown in row


def test_page_actions_need_the_page_token_post_and_a_loopback_host(standin):
    assert post(standin, f"/pick?username={USER}&algorithm=rsa") == 403  # no token: a cross-site form
    assert post(standin, f"/pick?username={USER}&algorithm=rsa&token=guess") == 403
    assert standin.picked is None
    with pytest.raises(urllib.error.HTTPError) as get:
        urllib.request.urlopen(standin.page_url + f"pick?username={USER}&token={standin.token}", timeout=10)
    assert get.value.code == 405
    assert post(standin, f"/pick?username=nobody&token={standin.token}") == 400
    # A rebound DNS name pointing at 127.0.0.1 cannot read the page (and its token).
    assert post(standin, "/", {"Host": f"evil.example:{standin.port}"}) == 421
    with urllib.request.urlopen(standin.page_url, timeout=10) as response:
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert standin.picked is None


def test_binds_the_loopback_only(people_pki):
    with pytest.raises(ValueError):
        StandIn(people_pki, host="0.0.0.0")


# -- the command --------------------------------------------------------------------------------------


def run_cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TYNDAU_ENV": "development", **(env or {})}
    return subprocess.run([sys.executable, "-m", "portal.signatures.standin", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=60, **kw)


def test_cli_refuses_production():
    done = run_cli("--port", "0", env={"TYNDAU_ENV": "production"})
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "production" in done.stderr


def test_cli_refuses_another_host():
    done = run_cli("--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "127.0.0.1" in done.stderr


def test_cli_says_so_when_the_port_is_taken(standin):
    done = run_cli("--port", str(standin.port))
    assert done.returncode == 1 and "not free" in done.stderr


def test_cli_serves_and_signs_as_the_pre_picked_person(people_pki):
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.signatures.standin", "--pki", str(people_pki), "--port", "0",
         "--algorithm", "rsa"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TYNDAU_ENV": "development", "NCALAYER_STANDIN_PICK": USER})
    try:
        line = process.stdout.readline()
        url = re.search(r"ws://127\.0\.0\.1:\d+", line).group(0)
        assert re.search(r"http://127\.0\.0\.1:\d+/", line) and USER in line
        with connect(url) as ws:
            assert json.loads(ws.recv(timeout=10)) == {"result": {"version": "1.4"}}
            answer = sign_xml(ws, DOC)
        assert answer["code"] == "200"
        assert verify(answer["responseObject"].encode(), people_pki / "trust").indication == Indication.TOTAL_PASSED
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    with pytest.raises(OSError):  # the port is closed
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5)
