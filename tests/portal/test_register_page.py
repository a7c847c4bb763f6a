"""The public register's page: what an empty register says, and the search by settlement (issue 16 item 8)."""
from __future__ import annotations

from tests.browser.helpers import demo_case_id, to_signed_certificate
from tests.support.html import Page, text_of

EMPTY = "No certificate has been issued yet."
NO_MATCH = "No certificate matches."


def test_an_empty_register_says_so_and_not_that_the_query_found_nothing(client):
    page = client.get("/register").get_data(as_text=True)
    assert EMPTY in page and NO_MATCH not in page
    searched = client.get("/register?q=Altyn").get_data(as_text=True)
    assert NO_MATCH in searched and EMPTY not in searched
    blank = client.get("/register?q=+&settlement=").get_data(as_text=True)  # spaces are no query
    assert EMPTY in blank


def test_the_register_is_searched_by_the_settlement_of_the_main_complex(app, client):
    number = to_signed_certificate(app, demo_case_id(app))  # main complex in Астана, backup in Караганда
    form = Page(client.get("/register"))
    label = form.find("label.label[for=settlement]")
    assert label is not None and text_of(label), "the search by settlement has a label"
    field = label.getnext()  # the field follows its label
    assert field is not None and (field.tag, field.get("type"), field.get("id"), field.get("name")) == (
        "input", "search", "settlement", "settlement")
    assert number in form.markup

    for typed in ("Астана", "стан", " Астана "):
        page = client.get("/register", query_string={"settlement": typed}).get_data(as_text=True)
        assert number in page, typed
    # A backup complex's settlement (Караганда) is not the register's location; % and _ are no wildcards.
    for typed in ("Караганда", "Алматы", "%", "_"):
        page = client.get("/register", query_string={"settlement": typed}).get_data(as_text=True)
        assert number not in page and NO_MATCH in page, typed

    both = client.get("/register", query_string={"settlement": "Астана", "q": "Altyn"}).get_data(as_text=True)
    assert number in both
    other = client.get("/register", query_string={"settlement": "Астана", "q": "Steppe"}).get_data(as_text=True)
    assert number not in other

    fragment = client.get("/register", query_string={"settlement": "Астана"}, headers={"HX-Request": "true"})
    assert number in fragment.get_data(as_text=True) and "<main" not in fragment.get_data(as_text=True)
