"""The stand-in's WebSocket service: NCALayer's commonUtils protocol, signing with the dev PKI's people keys.

One port serves both what NCALayer serves: the WebSocket the page talks to (ws://127.0.0.1:<port>) and,
for plain HTTP requests, the key-picking page that plays NCALayer's own dialog (page.py). Keys are read
from DIR/people/<username>/[gost/]{sign,auth}.{key,pem} at the moment of signing, so a rebuilt PKI is
picked up without a restart. Development and tests only: the keys are unencrypted files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import secrets
import threading
import time
from collections import deque
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .. import oids
from ..signing import sign_xml
from ..xmlparse import parse
from . import page

log = logging.getLogger(__name__)

VERSION = "1.4"
MODULE = "kz.gov.pki.knca.commonUtils"
CANCELED = "action.canceled"
# getActiveTokens answers [] (no hardware token), so a page falls back to the key-file storage.
STORAGES = frozenset({"PKCS12"})
KEY_TYPES = {"SIGNATURE": "sign", "AUTHENTICATION": "auth"}
ALGORITHMS = ("gost", "rsa")
ALGORITHM_NAMES = {"rsa": "RSA", "gost": "ECGOST3410-2015"}
LOOPBACK = "127.0.0.1"
USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")
MAX_MESSAGE = 16 * 1024 * 1024


class Canceled(Exception):
    """The person cancelled (page button or cancel_next), or nobody picked a key in time."""


class RequestError(Exception):
    """A request NCALayer would refuse: answered {"code": "500", "message": str(exc)}."""


def _error(message: str) -> dict:
    return {"code": "500", "message": message}


def _name_attr(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


# Names as NCALayer writes a DN (Java's forward order, short names, not OIDs).
_DN_NAMES = {NameOID.SURNAME: "SURNAME", NameOID.SERIAL_NUMBER: "SERIALNUMBER", NameOID.GIVEN_NAME: "G",
             NameOID.EMAIL_ADDRESS: "E"}


def _dn(name: x509.Name) -> str:
    return ",".join(rdn.rfc4514_string(_DN_NAMES) for rdn in name.rdns)


def _ms(moment: dt.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _hex_ext(cert: x509.Certificate, oid, attr: str) -> str:
    try:
        value = getattr(cert.extensions.get_extension_for_oid(oid).value, attr)
    except (x509.ExtensionNotFound, ValueError):
        return ""
    return value.hex() if value else ""


def describe(cert: x509.Certificate) -> dict:
    """CN, IIN, BIN, organisation and role of a dev-PKI certificate, as the page lists them."""
    subject = cert.subject
    iin = _name_attr(subject, NameOID.SERIAL_NUMBER)
    bin_ = _name_attr(subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    role = ""
    try:
        usages = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except (x509.ExtensionNotFound, ValueError):
        usages = set()
    if oids.ROLE_INDIVIDUAL in usages:
        role = "individual"
    for oid, name in oids.LEGAL_ENTITY_ROLES.items():
        if oid in usages:
            role = name
    return {"cn": _name_attr(subject, NameOID.COMMON_NAME),
            "iin": iin.removeprefix("IIN"), "bin": bin_.removeprefix("BIN"),
            "organization": _name_attr(subject, NameOID.ORGANIZATION_NAME), "role": role}


def key_info(cert_pem: bytes, algorithm: str, alias: str) -> dict:
    """getKeyInfo's responseObject for a certificate (field names as NCALayer sends them)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    key_id = _hex_ext(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER, "digest")
    return {
        "alias": key_id or alias, "keyId": key_id, "algorithm": ALGORITHM_NAMES[algorithm],
        "subjectCn": _name_attr(cert.subject, NameOID.COMMON_NAME),
        "subjectDn": _dn(cert.subject),
        "issuerCn": _name_attr(cert.issuer, NameOID.COMMON_NAME),
        "issuerDn": _dn(cert.issuer),
        "serialNumber": format(cert.serial_number, "x"),
        "certNotBefore": _ms(cert.not_valid_before_utc), "certNotAfter": _ms(cert.not_valid_after_utc),
        "authorityKeyIdentifier": _hex_ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER, "key_identifier"),
        "pem": cert_pem.decode("ascii"),
    }


class StandIn:
    """A local NCALayer for development, the demo and the tests (interface 3 in notes/interfaces.md).

    StandIn(pki_dir, port=0).start() serves in a daemon thread; .url is the WebSocket, .page_url the
    key-picking page. Until a key is picked (pick(), the page, or the `pick` argument) getKeyInfo,
    signXml and signXmls wait, at most wait_seconds, then answer action.canceled.
    """

    def __init__(self, pki_dir, host: str = LOOPBACK, port: int = 0, pick: str | None = None,
                 algorithm: str = "gost", *, wait_seconds: float = 120.0):
        if host != LOOPBACK:
            # NCALayer listens on the loopback only; a stand-in on a network address would sign for anyone.
            raise ValueError(f"the stand-in binds {LOOPBACK} only, not {host!r}")
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}")
        self.pki_dir = Path(pki_dir)
        self.host, self.algorithm, self.wait_seconds = host, algorithm, float(wait_seconds)
        self._port = int(port)
        self.requests: list = []            # every JSON request received, in order (for tests)
        self.history: deque = deque(maxlen=30)  # what the page shows: {"at", "method", "status"}
        self.locale: str | None = None      # the last changeLocale
        # A per-process secret in the page's form actions: another site cannot read the page (no CORS),
        # so it cannot make the browser pick or cancel through a cross-site form.
        self.token = secrets.token_urlsafe(18)
        self._lock = threading.Lock()
        self._picked: tuple[str, str] | None = None
        self._cancel_next = 0
        self._cancel_round = 0
        self._waiting = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        if pick:
            self.pick(pick)

    # -- the Python API --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self._port}"

    @property
    def page_url(self) -> str:
        return f"http://{self.host}:{self._port}/"

    @property
    def picked(self) -> tuple[str, str] | None:
        """(username, algorithm) of the current pick, or None."""
        return self._picked

    @property
    def waiting(self) -> int:
        """How many requests wait for a key right now."""
        return self._waiting

    def people(self) -> list[dict]:
        """The people under DIR/people/: username, which algorithms they have keys for, and who they are."""
        found = []
        base = self.pki_dir / "people"
        for folder in sorted(base.iterdir()) if base.is_dir() else []:
            if not folder.is_dir() or not USERNAME.fullmatch(folder.name):
                continue
            algorithms = [a for a in ALGORITHMS if self._files(folder.name, a, "sign")[1].exists()]
            entry = {"username": folder.name, "algorithms": algorithms,
                     "cn": "", "iin": "", "bin": "", "organization": "", "role": ""}
            for algorithm in ("rsa", "gost"):
                cert = self._files(folder.name, algorithm, "sign")[1]
                try:
                    entry.update(describe(x509.load_pem_x509_certificate(cert.read_bytes())))
                    break
                except (OSError, ValueError):
                    continue
            found.append(entry)
        return found

    def pick(self, username: str | None, algorithm: str | None = None) -> None:
        """Use this person's keys from now on (None: pick nobody, so requests wait again)."""
        if username is None:
            choice = None
        else:
            algorithm = algorithm or self.algorithm
            if algorithm not in ALGORITHMS:
                raise ValueError(f"algorithm must be one of {ALGORITHMS}")
            if not USERNAME.fullmatch(username) or not (self.pki_dir / "people" / username).is_dir():
                raise ValueError(f"no person {username!r} under {self.pki_dir / 'people'}")
            choice = (username, algorithm)
        with self._lock:
            self._picked = choice
        self._notify()

    def cancel_next(self) -> None:
        """The next getKeyInfo/signXml/signXmls (or the one waiting now) answers action.canceled."""
        with self._lock:
            self._cancel_next += 1
        self._notify()

    def cancel_waiting(self) -> int:
        """Cancel the requests waiting for a key now (the page's Cancel button); how many there were."""
        with self._lock:
            self._cancel_round += 1
            count = self._waiting
        self._notify()
        return count

    def start(self) -> "StandIn":
        """Serve in a daemon thread; returns once the port is bound (OSError if it cannot be)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # noqa: BLE001 — handed to the caller of start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="ncalayer-standin", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every connection and the port, and end the thread."""
        if self._thread is None or self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        try:
            future.result(timeout=15)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=15)
            self._thread = None

    def __enter__(self) -> "StandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------

    async def _open(self) -> None:
        self._changed = asyncio.Event()
        self._server = await serve(self._connection, self.host, self._port,
                                   process_request=self._http, max_size=MAX_MESSAGE,
                                   server_header=f"NCALayer stand-in {VERSION}")
        self._port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    def _notify(self) -> None:
        """Wake the requests waiting for a key (from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def _wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _connection(self, ws: ServerConnection) -> None:
        try:
            await ws.send(json.dumps({"result": {"version": VERSION}}))
            async for message in ws:
                answer = await self._answer(message, ws)
                await ws.send(json.dumps(answer, ensure_ascii=False))
        except ConnectionClosed:
            pass

    async def _answer(self, message, ws: ServerConnection) -> dict:
        if isinstance(message, bytes):
            return _error("binary messages are not supported: send JSON text")
        try:
            request = json.loads(message)
        except ValueError:
            return _error("malformed request: not JSON")
        self.requests.append(request)
        if len(self.requests) > 1000:  # a demo runs for days: keep the recent ones
            del self.requests[:500]
        if not isinstance(request, dict):
            return _error("malformed request: not a JSON object")
        method = request.get("method")
        entry = {"at": time.strftime("%H:%M:%S"), "method": str(method)[:60], "status": "received"}
        self.history.appendleft(entry)
        try:
            answer = await self._dispatch(request, ws, entry)
        except Canceled:
            answer = _error(CANCELED)
        except RequestError as exc:
            answer = _error(str(exc))
        except Exception as exc:  # noqa: BLE001 — NCALayer answers, it does not drop the page
            log.exception("stand-in: %s failed", method)
            answer = _error(f"internal error: {type(exc).__name__}")
        entry["status"] = answer["code"] + (f" {answer['message']}" if "message" in answer else "")
        return answer

    async def _dispatch(self, request: dict, ws: ServerConnection, entry: dict) -> dict:
        if request.get("module") != MODULE:
            raise RequestError(f"module not found: {str(request.get('module'))[:100]}")
        method, args = request.get("method"), request.get("args", [])
        if not isinstance(args, list):
            raise RequestError("args must be a list")
        if method == "getActiveTokens":
            return {"code": "200", "responseObject": []}
        if method == "changeLocale":
            if not args or not isinstance(args[0], str):
                raise RequestError("changeLocale: the locale must be a string")
            self.locale = args[0][:20]
            return {"code": "200"}
        if method == "getKeyInfo":
            _storage(args, 1)
            entry["status"] = "waiting for a key"
            username, algorithm = await self._choose(ws)
            cert = self._files(username, algorithm, "sign")[1]
            try:
                return {"code": "200", "responseObject": key_info(cert.read_bytes(), algorithm, username)}
            except OSError:
                raise RequestError(f"{username} has no {algorithm} signing certificate") from None
        if method in ("signXml", "signXmls"):
            _storage(args, 5)
            key_type = args[1]
            if key_type not in KEY_TYPES:
                raise RequestError(f"unknown keyType: {str(key_type)[:40]}")
            if any(not isinstance(x, str) for x in args[3:5]):
                raise RequestError("tbsElementXPath and signatureParentElementXPath must be strings")
            if any(args[3:5]):
                raise RequestError("the stand-in signs the whole document only: pass empty XPaths")
            if method == "signXml":
                documents = [args[2]]
            elif isinstance(args[2], list) and args[2]:
                documents = args[2]
            else:
                raise RequestError("signXmls: the documents must be a non-empty list")
            if any(not isinstance(doc, str) for doc in documents):
                raise RequestError("the XML must be a string")
            for doc in documents:
                _check_document(doc)  # refuse before asking for a key, as nothing could be signed
            entry["status"] = "waiting for a key"
            username, algorithm = await self._choose(ws)
            key_file, cert_file = self._files(username, algorithm, KEY_TYPES[key_type])
            try:
                key, cert = key_file.read_bytes(), cert_file.read_bytes()
            except OSError:
                raise RequestError(f"{username} has no {algorithm} {key_type} key") from None
            signed = []
            for doc in documents:
                try:
                    out = await asyncio.to_thread(sign_xml, doc.encode("utf-8"), key, cert)
                except ValueError as exc:  # FormatError is a ValueError too
                    raise RequestError(f"cannot sign: {exc}") from None
                signed.append(out.decode("utf-8"))
            return {"code": "200", "responseObject": signed[0] if method == "signXml" else signed}
        raise RequestError(f"method not found: {str(method)[:100]}")

    def _files(self, username: str, algorithm: str, purpose: str) -> tuple[Path, Path]:
        folder = self.pki_dir / "people" / username
        if algorithm == "gost":
            folder = folder / "gost"
        return folder / f"{purpose}.key", folder / f"{purpose}.pem"

    async def _choose(self, ws: ServerConnection) -> tuple[str, str]:
        """The key to use: the current pick, or wait for one (Canceled on cancel or timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        closed = asyncio.ensure_future(ws.wait_closed())
        with self._lock:
            started_round = self._cancel_round
            self._waiting += 1
        try:
            while True:
                changed = self._changed  # taken before looking, so no wake-up is missed
                with self._lock:
                    if self._cancel_next:
                        self._cancel_next -= 1
                        raise Canceled
                    if self._cancel_round != started_round:
                        raise Canceled
                    if self._picked is not None:
                        return self._picked
                remaining = deadline - loop.time()
                if remaining <= 0 or closed.done():
                    raise Canceled
                woken = asyncio.ensure_future(changed.wait())
                await asyncio.wait({woken, closed}, timeout=remaining,
                                   return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
        finally:
            closed.cancel()
            with self._lock:
                self._waiting -= 1

    # -- the key-picking page (plain HTTP on the same port) ----------------------------------------

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None  # NCALayer's WebSocket: any origin, as NCALayer accepts any web page
        # Only the names this service is reached by: a rebound DNS name (evil.example -> 127.0.0.1)
        # must not read the page and its form token.
        if request.headers.get("Host", "") not in (f"{LOOPBACK}:{self._port}", f"localhost:{self._port}"):
            return _html(HTTPStatus.MISDIRECTED_REQUEST, page.message("Unknown host name."))
        target = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        if target.path == "/" and request.method == "GET":
            return _html(HTTPStatus.OK, page.render(self, query.get("note", "")))
        actions = {"/pick": self._page_pick, "/cancel": self._page_cancel, "/unpick": self._page_unpick}
        if target.path not in actions:
            return _html(HTTPStatus.NOT_FOUND, page.message("Not found."))
        if request.method != "POST":
            return _html(HTTPStatus.METHOD_NOT_ALLOWED, page.message("Use the buttons on the page."))
        if not secrets.compare_digest(query.get("token", ""), self.token):
            return _html(HTTPStatus.FORBIDDEN, page.message("Stale page: reload it and try again."))
        try:
            note = actions[target.path](query)
        except ValueError as exc:
            return _html(HTTPStatus.BAD_REQUEST, page.message(str(exc)))
        return _redirect("/?note=" + page.quote(note))

    def _page_pick(self, query: dict) -> str:
        self.pick(query.get("username", ""), query.get("algorithm") or None)
        return "picked"

    def _page_cancel(self, query: dict) -> str:
        return "canceled" if self.cancel_waiting() else "nothing-waiting"

    def _page_unpick(self, query: dict) -> str:
        self.pick(None)
        return "unpicked"


def _storage(args: list, count: int) -> None:
    if len(args) < count:
        raise RequestError(f"expected {count} arguments, got {len(args)}")
    if args[0] not in STORAGES:
        raise RequestError(f"unknown storage: {str(args[0])[:40]} (the stand-in has PKCS12 only)")


def _check_document(doc: str) -> None:
    try:
        root = parse(doc.encode("utf-8")).getroot()
    except ValueError as exc:
        raise RequestError(f"cannot sign: {exc}") from None
    if root.xpath("//ds:Signature", namespaces=oids.NS):
        raise RequestError("cannot sign: the document is already signed")


_PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    # No script at all; forms post only to this page; nobody may frame it to trick a click.
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Connection", "close"),
]


def _html(status: HTTPStatus, body: str) -> Response:
    data = body.encode("utf-8")
    headers = Headers(_PAGE_HEADERS + [("Content-Length", str(len(data)))])
    return Response(status.value, status.phrase, headers, data)


def _redirect(location: str) -> Response:
    status = HTTPStatus.SEE_OTHER
    headers = Headers([("Location", location), ("Content-Length", "0"), ("Cache-Control", "no-store"),
                       ("Connection", "close")])
    return Response(status.value, status.phrase, headers, b"")
