"""Language purity over every page (issue 16, "Tests"): each role, in kk and in ru, every page it can reach.

The demo is seeded with a case at every stage (`flask demo seed`: registered, under review, a preliminary refusal
with a booked hearing, a decision awaiting signature, a certificate issued, a refusal, complaints at the provider
and at the authority). Each role logs in and a crawler follows every same-origin link of its pages (its navigation,
its queues, the case and complaint pages and what they link to), bounded per kind of page.

Every page is rendered with the pseudo-catalog of tests/portal/support.py (each translated text shown
as ⟦text⟧), so whatever visible text is left outside the brackets reached the page without a translation. That
text may hold data (names, addresses, numbers, dates) but never:
- an English word, other than the proper nouns and codes people type or the state issues (ALLOWED, and the
  words of what the applicants typed: pool names, providers, file names);
- a code of the program: a snake_case identifier (`backup_complex_letter`), `=True`, `complaint:1`;
- an ISO date (`2026-12-06`): dates read dd.MM.yyyy;
- a folder of the server.
The texts people hear or see on hover (aria-label, title, placeholder, alt) count as visible. Numbers, the
catalog's texts included, are written as the language writes them ("12,3 KB", never "12.3"); every page says its
language (<html lang>), and every page answers 200: a link that leads to an error is a defect too.
"""
from __future__ import annotations

import os
import re
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from portal.core import i18n
from tests.conftest import Auth
from tests.portal.support import PseudoCatalog
from tests.support.html import page

ROLES = (None, "applicant", "applicant2", "clerk", "signatory", "supervisor", "authority", "admin")  # None: nobody
# Not pages: files, images, the language switch (it redirects back), the static files.
NOT_PAGES = re.compile(r"^/(static|language)/|\.(pdf|xml|ics|zip|csv|json|png)$|/documents/\d+(/preview/\d+)?$")
PER_KIND = 12  # pages of one kind (the same path with other ids or query values) visited per role
MOST = 250  # pages per role, at most

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
FILE_NAME = re.compile(r"[^\s/]+\.(pdf|png|jpe?g|xml)\b", re.I)
DATA = re.compile(r"https?://\S+|[^\s/]+\.(pdf|png|jpe?g|xml)\b|\S*\d\S*", re.I)
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# A decimal number with the English separator: kk and ru write "12,3" (a date's dots have digits on both sides).
ENGLISH_DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.])")
CODES = [SNAKE_CASE, re.compile(r"=\s*(True|False|None)\b"), re.compile(r"\b[a-z_]+:\d+\b"),
         re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), re.compile(r"\bT\d{2}:\d{2}:\d{2}"), re.compile(r"\bTraceback\b")]
# Names and abbreviations a kk or ru page writes in Latin letters: formats and algorithms (SHA-256, XML, GOST),
# NCALayer, the portal's own name (Tyndau, in every language: the mails' subjects), and "DEV", the name of the
# development PKI's certification authority. The names people typed are added from the database (_typed_words).
ALLOWED = {"SHA", "PDF", "XML", "JSON", "NCALayer", "QR", "CSV", "ZIP", "GOST", "RSA", "Tyndau", "DEV"}


def _seed_every_stage(app, portal_pki) -> None:
    from portal.demo.cli import seed

    with app.app_context():
        seed(stages=True, people_dir=portal_pki / "people")


def _a_document_on_the_draft(app) -> None:
    """The applicant's draft holds an upload of 1.3 KB, so its documents page writes a decimal size."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.accounts.models import User
    from portal.applications import services as applications
    from portal.applications.models import Application
    from portal.documents import services as documents
    from portal.extensions import db
    from tests.browser.helpers import PDF

    with app.app_context(), app.test_request_context():
        owner = db.session.scalar(select(User).filter_by(username="applicant"))
        draft = db.session.scalar(select(Application).filter_by(status="draft", organization_id=owner.organization_id))
        code = applications.missing_documents(draft)[0]["code"]
        content = PDF.replace(b"%%EOF", b"%" + b" " * (1331 - len(PDF)) + b"\n%%EOF")
        documents.store_upload(draft, code, FileStorage(stream=BytesIO(content), filename="act.pdf",
                                                        content_type="application/pdf"), owner)
        db.session.commit()


def _typed_words(app) -> set[str]:
    """The Latin words of what people typed or uploaded (pools, providers, file names, e-mails): data, not UI."""
    from portal.accounts.models import Organization, User
    from portal.applications.models import Application, Complex
    from portal.documents.models import Document

    words = set()
    with app.app_context():
        from portal.extensions import db

        for column in (Application.pool_name, Organization.name, User.full_name, User.email, Complex.provider_1,
                       Complex.provider_2, Document.original_name):
            for value in db.session.scalars(select(column)):
                words.update(LATIN_WORD.findall(value or ""))
    return words


def _kind(url: str) -> str:
    """What pages share: the path and query keys with every number and query value left out."""
    parts = urlsplit(url)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client, start: str = "/") -> tuple[dict[str, str], dict[str, int]]:
    """Every same-origin page reachable from `start` by links: {url: html}, and {url: status} of the failures."""
    pages, failures, kinds = {}, {}, Counter()
    queue, queued = deque([start]), {start}
    while queue and len(pages) < MOST:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            target = urlsplit(urljoin("http://localhost" + url, response.headers["Location"]))
            follow = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc == "localhost" and follow not in queued:
                queued.add(follow)
                queue.append(follow)
            continue
        if response.status_code != 200:
            failures[url] = response.status_code
            continue
        if response.mimetype != "text/html":
            continue
        body = response.get_data(as_text=True)
        pages[url] = body
        for href in page(body).hrefs():
            target = urlsplit(urljoin("http://localhost" + url, href.split("#")[0]))
            link = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc != "localhost" or link in queued or NOT_PAGES.search(target.path):
                continue
            queued.add(link)
            if kinds[_kind(link)] >= PER_KIND:
                continue
            kinds[_kind(link)] += 1
            queue.append(link)
    return pages, failures


def seen_text(body: str, lang: str) -> str:
    """The text a reader of `lang` sees, translated texts still in their ⟦…⟧.

    With the texts of the attributes people hear or see (aria-label, title, placeholder, alt, a button's value).
    Left out: scripts and styles; code to copy (<pre>: the development PKI's commands) and a document shown to
    be signed as it is (a read-only <textarea> of XML); what the page marks as written in another language
    (lang="en" on the switcher's "English", a text signed in another language than the page's); the exact values
    of a signed document kept "as signed" (class="as-signed") beside the value as people read it.
    """
    root = lxml.html.fromstring(body)
    dropped = root.xpath("//script | //style | //head | //pre | //textarea[@readonly]"
                         " | //*[contains(concat(' ', normalize-space(@class), ' '), ' as-signed ')]")
    dropped += [element for element in root.xpath("//body//*[@lang]") if element.get("lang") != lang]
    for element in dropped:
        element.drop_tree()
    spoken = root.xpath("//body//@aria-label | //body//@title | //body//@placeholder | //body//@alt"
                        " | //body//input[@type='submit' or @type='button']/@value")  # read aloud, or on hover
    return " ".join([*root.itertext(), *spoken])


def outside_the_catalog(text: str) -> str:
    """What is left outside every ⟦…⟧, innermost first (a translated text may hold another)."""
    while True:
        inner = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if inner == text:
            return text
        text = inner


def findings(pages: dict[str, str], lang: str, allowed: set[str], folders: set[str]) -> list[str]:
    out = []
    for url, body in pages.items():
        if f'<html lang="{lang}"' not in body:
            out.append(f"{url}: not marked as {lang} (<html lang>)")
        seen = seen_text(body, lang)
        left = outside_the_catalog(seen)
        words = DATA.sub(" ", left)  # links, file names, numbers and hashes are data
        english = sorted({w for w in LATIN_WORD.findall(words) if w not in allowed and len(w) > 1})
        if english:
            out.append(f"{url}: English {english}")
        for pattern in CODES:
            found = sorted(set(m.group(0) for m in pattern.finditer(FILE_NAME.sub(" ", left))))
            if found:
                out.append(f"{url}: code {found}")
        if decimals := ENGLISH_DECIMAL.findall(seen):  # numbers inside the catalog's texts too ("⟦12.3 KB⟧")
            out.append(f"{url}: decimals written the English way {sorted(set(decimals))}")
        for folder in folders:
            if folder in body:
                out.append(f"{url}: the server's folder {folder}")
    return out


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_page_of_every_role_is_in_the_page_language(app, portal_pki, monkeypatch, lang):
    _seed_every_stage(app, portal_pki)
    _a_document_on_the_draft(app)
    allowed = ALLOWED | _typed_words(app)
    folders = {os.path.dirname(os.path.normpath(app.config["TRUST_STORE"])), app.instance_path,
               os.path.normpath(app.config["UPLOADS_DIR"]), str(Path(i18n.__file__).resolve().parents[2])}  # the code's
    monkeypatch.setattr(i18n, "current_translations", lambda: PseudoCatalog())
    problems, visited = [], {}
    for role in ROLES:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        if role is not None:
            assert Auth(client).login(role).status_code == 302
        pages, failures = crawl(client)
        if role is None:
            pages.update(crawl(client, "/register")[0])  # the public pages: the home page, the register, /verify
        visited[role] = len(pages)
        problems += [f"{role} {url}: answered {status}" for url, status in failures.items()]
        problems += [f"{role} {line}" for line in findings(pages, lang, allowed, folders)]
    assert visited["applicant"] > 10 and visited["clerk"] > 10 and visited[None] >= 3, visited
    assert not problems, "\n".join(problems)


def test_what_was_signed_reads_in_words_and_keeps_each_value_as_signed(app, portal_pki):
    """The signed certificate on the case page: labels, not XML names; dates dd.MM.yyyy with the exact signed value
    beside them; the provider's names in other languages folded and marked with their language."""
    from portal.applications.models import Application
    from portal.decisions.models import Decision
    from portal.extensions import db

    _seed_every_stage(app, portal_pki)
    with app.app_context():
        case = db.session.scalar(select(Application).filter_by(pool_name="Altyn Hash Prime"))
        decision = db.session.scalar(select(Decision).filter_by(application_id=case.id, status="signed"))
        case_id, valid_until = case.id, decision.valid_until
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    Auth(client).login("clerk")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    signed = page[page.index('id="signatures-heading"'):]
    decision_block = lxml.html.fromstring(signed[signed.index("Final decision signed"):])
    text = " ".join(decision_block.itertext())
    assert "Valid until" in text and "@validUntil" not in text and "not a field of the portal" not in text
    shown = valid_until.strftime("%d.%m.%Y")
    assert re.search(rf"{shown}\s*as signed\s*{valid_until.isoformat()}", text), text[:3000]
    assert decision_block.xpath(f"//details[@class='as-signed']/code[text()='{valid_until.isoformat()}']")
    folded = decision_block.xpath("//details[@class='other-language']")
    assert {d.xpath("string(div/@lang)") for d in folded} >= {"kk", "ru"}  # the provider's names, as signed
    assert "In another language (Russian), as signed" in text
    assert not decision_block.xpath("//details[@class='other-language']/div[@lang='en']")  # the page's own: open
