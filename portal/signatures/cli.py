"""Flask CLI: ``flask signature verify`` and ``flask pki init|sign``.

Register in the app factory::

    app.cli.add_command(signature_cli)
    app.cli.add_command(pki_cli)

Exit codes of ``signature verify``: 0 TOTAL_PASSED, 1 any other verdict, 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import xmlsec
from flask import current_app, has_app_context
from flask.cli import AppGroup, NoAppException, ScriptInfo

from .pki import init_pki, sign_xml
from .truststore import TrustStore, TrustStoreError
from .verify import verify
from .xmlparse import FormatError

signature_cli = AppGroup("signature", help="Verify electronic signatures (ЭЦП) on XML documents.")
pki_cli = AppGroup("pki", help="Development PKI shaped like НУЦ РК's (dev and tests only).")


def _configured_trust_dir() -> str | None:
    """TRUST_STORE from the app config, when there is an app; None otherwise."""
    if has_app_context():
        return current_app.config.get("TRUST_STORE")
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None:
        return None
    try:
        return info.load_app().config.get("TRUST_STORE")
    except NoAppException:
        return None


def _parse_at(ctx, param, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {value!r}") from None


# with_appcontext=False: the command must also work without any app (then --trust-dir is
# required); the app, when there is one, is only asked for its TRUST_STORE.
@signature_cli.command("verify", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of CA certificates and CRLs (default: the app's TRUST_STORE).")
@click.option("--expect-bin", help="Fail unless the signer's BIN is this one.")
@click.option("--at", "at", callback=_parse_at, help="Validation time, ISO 8601 (default: now).")
@click.option("--purpose", type=click.Choice(["sign", "auth"]), default="sign", show_default=True)
def verify_command(file: Path, trust_dir: Path | None, expect_bin: str | None,
                   at: dt.datetime | None, purpose: str) -> None:
    """Verify FILE and print the validation report as one JSON object."""
    trust_dir = trust_dir or _configured_trust_dir()
    if not trust_dir:
        raise click.UsageError("no trust store: pass --trust-dir or set TRUST_STORE")
    try:
        store = TrustStore.load(trust_dir)
    except TrustStoreError as exc:
        raise click.UsageError(str(exc)) from None
    report = verify(file.read_bytes(), store, at=at, expect_bin=expect_bin, purpose=purpose)
    click.echo(report.to_json())
    click.get_current_context().exit(0 if report.passed else 1)


@pki_cli.command("init", with_appcontext=False)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a PKI already in DIRECTORY.")
def pki_init_command(directory: Path, force: bool) -> None:
    """Create a dev PKI in DIRECTORY; DIRECTORY/trust is the TRUST_STORE."""
    try:
        manifest = init_pki(directory, overwrite=force)
    except FileExistsError as exc:
        raise click.UsageError(f"{exc} (use --force to replace it)") from None
    click.echo(json.dumps({"trust_store": str(directory / manifest["trust_dir"]),
                           "manifest": str(directory / "manifest.json")}, ensure_ascii=False))


@pki_cli.command("sign", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cert", "cert", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def pki_sign_command(file: Path, key: Path, cert: Path, out: Path | None) -> None:
    """Sign FILE as NCALayer signXml does (RSA or GOST 2015, chosen by the key)."""
    try:
        signed = sign_xml(file.read_bytes(), key.read_bytes(), cert.read_bytes())
    except (FormatError, ValueError, xmlsec.Error) as exc:
        raise click.UsageError(f"cannot sign {file}: {exc}") from None
    if out is None:
        click.echo(signed, nl=False)  # bytes go to the binary stdout unchanged
    else:
        out.write_bytes(signed)
