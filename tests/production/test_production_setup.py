"""The portal started the production way on this machine, and a person's journey through it in Chromium.

What runs is what the Procfile lists, as separate processes:
- web: gunicorn serving wsgi:app, with 2 workers (the Procfile's --workers and --bind replaced), TYNDAU_ENV=production;
- sweeper: `flask --app wsgi deadlines run`;
- outbox: `flask --app wsgi outbox run` with the folder transport (each mail an .eml file);
the two loops get `--every 2` instead of their minute and half-minute, so the check does not wait.
They share a fresh PostgreSQL database made for the check (`flask db upgrade`, then `flask demo seed`) on the
server DATABASE_URL names, and nothing else: no state between requests may live in a worker.

Then: /healthz and /readyz answer; the master has 2 workers and both answer requests; the demo applicant
files an accreditation application with its documents in Kazakh (the browser journey of tests/browser); the
clerk finds it in the queue and opens its completeness check (durable-rules, inside a worker); the outbox
worker delivers the acceptance mail; the sweeper has swept; every process is still alive. Every process is
stopped at the end (SIGTERM, and each must stop cleanly), whatever happened; the logs are kept in
test-output/production/, with screenshots and the pages' HTML when the journey fails.

Runs only with PRODUCTION_CHECK=1 (tests/production/run_production_check.sh, `make test-production`, CI).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.production.support import (CLEAN_EXIT, DATABASE_URL, OUTPUT, ROOT, WORKERS, Production, answers,
                                      children_of, drop_database, fresh_database, get, wait_for)


pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(os.environ.get("PRODUCTION_CHECK") != "1",
                       reason="the production check runs with PRODUCTION_CHECK=1 (make test-production)"),
]


# --- the database -----------------------------------------------------------------------------


# --- the processes ----------------------------------------------------------------------------


# --- the installation ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production(request, tmp_path_factory):
    if not DATABASE_URL.startswith(("postgresql", "postgres:")):
        pytest.fail("the production check needs DATABASE_URL naming a PostgreSQL server "
                    "(tests/production/run_production_check.sh starts one when it is not set)", pytrace=False)
    name = "tyndau_production_check"
    failures = request.session.testsfailed
    shutil.rmtree(OUTPUT, ignore_errors=True)  # what an earlier run left
    setup = Production(tmp_path_factory.mktemp("production"))
    setup.database_url = fresh_database(DATABASE_URL, name)
    codes: dict = {}
    try:
        setup.flask(setup.database_url, "db", "upgrade")
        setup.flask(setup.database_url, "demo", "seed")
        setup.start(setup.database_url)
        web = setup.processes["web"]
        wait_for(lambda: answers(setup.url + "/readyz") == 200 if web.alive() else
                 pytest.fail("gunicorn exited:\n" + web.log(), pytrace=False), 60, "gunicorn to answer /readyz")
        yield setup
    finally:
        codes = setup.stop()
        tails = setup.keep_logs()
        if request.session.testsfailed > failures or any(c not in CLEAN_EXIT for c in codes.values()):
            print(f"\nlogs kept in {OUTPUT.relative_to(ROOT)}/\n{tails}")
        try:
            drop_database(DATABASE_URL, name)
        except Exception as exc:  # noqa: BLE001  (a database left behind must not hide the result)
            print(f"could not drop {name}: {exc}")
    unclean = {n: c for n, c in codes.items() if c not in CLEAN_EXIT}
    assert not unclean, f"not stopped cleanly by SIGTERM (exit codes): {unclean}"


@pytest.fixture(scope="module")
def app(production):
    """The same database seen from the test, for looking at what the journey did."""
    from portal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + production.database_url.split("://", 1)[1],
                      "SECRET_KEY": "the-test-only-reads"})
    yield app
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not installed: apt-get install chromium (looked for {CHROMIUM})", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- the checks ---------------------------------------------------------------------------------

def test_health_and_readiness(production):
    status, headers, body = get(production.url + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", headers.get("X-Request-ID", "")), headers
    status, _headers, body = get(production.url + "/readyz")
    assert status == 200 and json.loads(body) == {"status": "ready"}, body


def test_gunicorn_runs_two_workers_and_both_answer(production):
    web = production.processes["web"]
    workers = wait_for(lambda: len(children_of(web.pid)) == WORKERS and children_of(web.pid), 30,
                       f"{WORKERS} gunicorn workers")
    assert len(workers) == WORKERS
    # Requests at the same time: while one worker is busy with one, the other must take the next.
    answered: set[int] = set()
    for _round in range(5):
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: get(production.url + "/readyz")[0], range(32)))
        assert set(statuses) == {200}, statuses
        time.sleep(0.3)
        answered = {int(pid) for pid in re.findall(r"pid=<?(\d+)>?", web.log())}
        if set(workers) <= answered:
            break
    assert set(workers) <= answered, f"workers {workers}, requests answered by {sorted(answered)}"


def test_an_applicant_files_an_application_and_the_clerk_sees_it(production, app, browser):
    from playwright.sync_api import expect

    from tests.browser.helpers import log_in, t
    from tests.browser.journeys import file_application

    pages = []

    def person():
        context = browser.new_context(base_url=production.url, locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages.append(page)
        return page

    try:
        # The applicant, in Kazakh, with JavaScript (htmx): the form, each document, the submission.
        number = file_application(person(), app, js=True)

        # The clerk, in Russian: the new case is in the queue, registered, with its deadlines day by day.
        lang = "ru"
        clerk = person()
        log_in(clerk, lang, "clerk", "demo-clerk")
        clerk.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Cases"),
                                                                         exact=True).click()
        results = clerk.locator("#queue-results")
        expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()
        results.get_by_role("link", name=number, exact=True).click()
        expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
        expect(clerk.locator("#case-status")).to_contain_text(t(lang, "Accepted and registered"))
        expect(clerk.locator("#day-timeline li.term").first).to_be_visible()
        # The completeness check asks the durable-rules engine, built inside the worker after the fork.
        clerk.get_by_role("link", name=t(lang, "Check completeness (п.7)")).click()
        expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
        expect(clerk.get_by_role("button", name=t(lang, "Record the decision"))).to_be_visible()
        expect(clerk.get_by_text(t(lang, "the rules: not in order"))).to_have_count(0)  # every document is there
    except BaseException:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            try:
                page.screenshot(path=str(OUTPUT / f"page{index}.png"), full_page=True)
                (OUTPUT / f"page{index}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
                print(f"saved {OUTPUT.relative_to(ROOT)}/page{index}.png and .html ({page.url})")
            except Exception as exc:  # noqa: BLE001  (a crashed page must not hide the journey's own failure)
                print(f"page{index} not saved: {exc}")
        raise
    finally:
        for page in pages:
            page.context.close()

    # The outbox worker, not the web process, delivers the acceptance mail (the folder transport: an .eml file).
    # (The demo case's own acceptance mail is there too: the one about this application names its number.)
    def acceptance_mail():
        return next((m.read_bytes() for m in production.mail.glob("*application.accepted.eml")
                     if number.encode() in m.read_bytes()), None)

    message = wait_for(acceptance_mail, 30, f"the outbox worker to deliver the acceptance mail of {number}")
    assert b"applicant@example.kz" in message
    assert re.search(rb"^Content-Type: text/plain", message, re.MULTILINE | re.IGNORECASE)

    # The sweeper and the outbox have run their loops, and nothing has died on the way.
    sweeps = [line for line in production.processes["sweeper"].log().splitlines() if line.startswith("{")]
    assert sweeps and all(isinstance(json.loads(line), dict) for line in sweeps), production.processes["sweeper"].log()
    sent = [json.loads(line) for line in production.processes["outbox"].log().splitlines() if line.startswith("{")]
    assert any(entry.get("sent") for entry in sent), production.processes["outbox"].log()
    for name, process in production.processes.items():
        assert process.alive(), f"{name} exited:\n{process.log()}"
