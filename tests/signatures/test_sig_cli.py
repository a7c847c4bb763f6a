"""CLI: `signature verify` exit codes and JSON, `pki init` and `pki sign` (no real app factory)."""

import json

import pytest
from click.testing import CliRunner
from flask import Flask

from portal.signatures.cli import pki_cli, signature_cli
from portal.signatures.verify import verify


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path, signed, doc):
    good = tmp_path / "signed.xml"
    good.write_bytes(signed)
    bad = tmp_path / "tampered.xml"
    bad.write_bytes(signed.replace(b"backup</site>", b"main</site>"))
    plain = tmp_path / "plain.xml"
    plain.write_bytes(doc)
    return {"good": good, "bad": bad, "plain": plain}


def run_verify(runner, *args):
    result = runner.invoke(signature_cli, ["verify", *map(str, args)])
    return result.exit_code, result


def test_passed_exits_0_with_one_json_object(runner, files, dev_pki):
    code, res = run_verify(runner, files["good"], "--trust-dir", dev_pki.trust)
    assert code == 0, res.output
    report = json.loads(res.output)
    assert report["indication"] == "TOTAL_PASSED" and report["sub_indication"] is None
    assert {"iin", "bin", "organization", "common_name"} <= report["signer"].keys()
    assert report["signer"]["bin"] == dev_pki.org()["bin"]


def test_expect_bin(runner, files, dev_pki):
    ok = run_verify(runner, files["good"], "--trust-dir", dev_pki.trust,
                    "--expect-bin", dev_pki.org()["bin"])[0]
    code, res = run_verify(runner, files["good"], "--trust-dir", dev_pki.trust,
                           "--expect-bin", dev_pki.org(1)["bin"])
    assert (ok, code) == (0, 1)
    assert json.loads(res.output)["message_key"] == "signature.bin_mismatch"


@pytest.mark.parametrize("name,sub", [("bad", "HASH_FAILURE"), ("plain", "FORMAT_FAILURE")])
def test_other_verdicts_exit_1(runner, files, dev_pki, name, sub):
    code, res = run_verify(runner, files[name], "--trust-dir", dev_pki.trust)
    assert code == 1 and json.loads(res.output)["sub_indication"] == sub


def test_at_option(runner, files, dev_pki):
    code, res = run_verify(runner, files["good"], "--trust-dir", dev_pki.trust,
                           "--at", "2001-01-01T00:00:00")
    assert code == 1 and json.loads(res.output)["sub_indication"] == "NOT_YET_VALID"


def test_auth_purpose(runner, tmp_path, dev_pki, doc):
    f = tmp_path / "auth.xml"
    f.write_bytes(dev_pki.sign(doc, "auth"))
    assert run_verify(runner, f, "--trust-dir", dev_pki.trust)[0] == 1
    assert run_verify(runner, f, "--trust-dir", dev_pki.trust, "--purpose", "auth")[0] == 0


@pytest.mark.parametrize("args", [
    ["missing.xml", "--trust-dir", "{trust}"],
    ["{good}"],  # no trust store and no app
    ["{good}", "--trust-dir", "{tmp}/no-such-dir"],
    ["{good}", "--trust-dir", "{trust}", "--at", "yesterday"],
    ["{good}", "--trust-dir", "{broken}"],
])
def test_usage_errors_exit_2(runner, files, dev_pki, tmp_path, args):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.crl").write_bytes(b"not a crl")
    fmt = {"trust": dev_pki.trust, "good": files["good"], "tmp": tmp_path, "broken": broken}
    code, res = run_verify(runner, *[a.format(**fmt) for a in args])
    assert code == 2, res.output


def test_trust_store_from_app_config(files, dev_pki):
    app = Flask("test")
    app.config["TRUST_STORE"] = str(dev_pki.trust)
    app.cli.add_command(signature_cli)
    app.cli.add_command(pki_cli)
    result = app.test_cli_runner().invoke(args=["signature", "verify", str(files["good"])])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["indication"] == "TOTAL_PASSED"


def test_app_without_trust_store_is_a_usage_error(files):
    app = Flask("test")
    result = app.test_cli_runner().invoke(signature_cli, ["verify", str(files["good"])])
    assert result.exit_code == 2


def test_pki_sign_to_stdout_and_file(runner, tmp_path, dev_pki, doc):
    src = tmp_path / "doc.xml"
    src.write_bytes(doc)
    key = dev_pki.base / dev_pki.org()["certs"]["sign"]["key"]
    cert = dev_pki.base / dev_pki.org()["certs"]["sign"]["cert"]
    res = runner.invoke(pki_cli, ["sign", str(src), "--key", str(key), "--cert", str(cert)])
    assert res.exit_code == 0
    assert verify(res.stdout_bytes, dev_pki.trust).passed
    out = tmp_path / "out.xml"
    res = runner.invoke(pki_cli, ["sign", str(src), "--key", str(key), "--cert", str(cert),
                                  "--out", str(out)])
    assert res.exit_code == 0 and res.output == ""
    assert verify(out.read_bytes(), dev_pki.trust).passed


def test_pki_sign_refuses_bad_input(runner, tmp_path, dev_pki, signed):
    src = tmp_path / "signed.xml"
    src.write_bytes(signed)
    key = dev_pki.base / dev_pki.org()["certs"]["sign"]["key"]
    cert = dev_pki.base / dev_pki.org()["certs"]["sign"]["cert"]
    res = runner.invoke(pki_cli, ["sign", str(src), "--key", str(key), "--cert", str(cert)])
    assert res.exit_code == 2 and "already signed" in res.output
    res = runner.invoke(pki_cli, ["sign", str(src), "--key", str(cert), "--cert", str(cert)])
    assert res.exit_code == 2


def test_pki_init(runner, tmp_path):
    target = tmp_path / "pki"
    res = runner.invoke(pki_cli, ["init", str(target)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["trust_store"] == str(target / "trust")
    assert sorted(p.name for p in (target / "trust").iterdir()) == [
        "ca.crl", "ca.pem", "gost-ca.crl", "gost-ca.pem"]
    assert runner.invoke(pki_cli, ["init", str(target)]).exit_code == 2
