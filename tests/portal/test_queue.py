"""The staff queue: filters, nearest deadline first, server pagination, htmx swaps with a bookmarkable URL."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event

from portal.applications.models import Application
from portal.core.clock import ALMATY
from portal.extensions import db
from tests.portal.factories import register_cases


def numbers(app, ids):
    with app.app_context():
        return {db.session.get(Application, i).number for i in ids}


def test_filters_select_the_right_cases_and_the_nearest_deadline_comes_first(app, client, auth):
    old = register_cases(app, 2, received=datetime.now(ALMATY) - timedelta(days=60))
    fresh = register_cases(app, 2, received=datetime.now(ALMATY) - timedelta(hours=1))
    auth.login("clerk")
    page = client.get("/staff/cases?deadline=missed").get_data(as_text=True)
    assert all(n in page for n in numbers(app, old)) and not any(n in page for n in numbers(app, fresh))
    page = client.get("/staff/cases?deadline=on_track").get_data(as_text=True)
    assert all(n in page for n in numbers(app, fresh)) and not any(n in page for n in numbers(app, old))
    page = client.get("/staff/cases?kind=reissue").get_data(as_text=True)
    assert "0 cases" in page
    everything = client.get("/staff/cases").get_data(as_text=True)
    first_old = min(everything.index(n) for n in numbers(app, old))
    first_fresh = min(everything.index(n) for n in numbers(app, fresh))
    assert first_old < first_fresh


def test_a_filter_change_over_htmx_swaps_the_results_and_a_full_load_gives_the_page(app, client, auth):
    auth.login("clerk")
    partial = client.get("/staff/cases?stage=registered", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "<table" in body and "HX-Request" in partial.headers["Vary"]
    restore = client.get("/staff/cases?stage=registered",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)
    full = client.get("/staff/cases?stage=registered").get_data(as_text=True)
    assert "<html" in full and 'hx-push-url="true"' in full and '<option selected value="registered">' in full


def test_pages_are_cut_on_the_server(app, client, auth):
    register_cases(app, 30)
    auth.login("clerk")
    first = client.get("/staff/cases").get_data(as_text=True)
    assert "Page 1 of 2" in first and "page=2" in first
    assert "Page 2 of 2" in client.get("/staff/cases?page=2").get_data(as_text=True)


def test_past_the_counting_cap_the_queue_says_more_than_and_still_pages(app, client, auth, monkeypatch):
    from portal.core import pagination

    # The cap keeps a page's cost flat at a million cases; a small cap shows what people then see.
    monkeypatch.setattr(pagination, "COUNT_CAP", 26)
    register_cases(app, 30)
    auth.login("clerk")
    first = client.get("/staff/cases").get_data(as_text=True)
    assert "More than 26 cases: narrow the list with the filters." in first and "Page 1<" in first
    assert "page=2" in first and " of " not in first.split("Page 1", 1)[1][:10]
    second = client.get("/staff/cases?page=2").get_data(as_text=True)
    assert "page=1" in second and "page=3" not in second  # 30 cases: the second page is the last
    filtered = client.get("/staff/cases?deadline=missed").get_data(as_text=True)  # the other query of the queue
    assert "More than 26 cases" in filtered
    few = client.get("/staff/cases?kind=reissue").get_data(as_text=True)
    assert "0 cases" in few and "More than" not in few


def test_nonsense_filters_are_ignored_not_an_error(client, auth):
    auth.login("clerk")
    assert client.get("/staff/cases?stage=<script>&deadline=x&page=-4").status_code == 200


def test_the_queue_makes_the_same_number_of_queries_whatever_the_number_of_cases(app, client, auth):
    auth.login("clerk")

    def count_queries(path):
        with app.app_context():
            engine = db.engine
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = count_queries("/staff/cases")
    register_cases(app, 12)
    assert count_queries("/staff/cases") == few <= 10
