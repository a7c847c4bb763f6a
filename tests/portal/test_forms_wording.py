"""The forms as the Rules give them (issue 14 item 4): Appendices 1, 3 and 4 rendered in kk and ru keep the seed's
fixed wording, line by line and in order; a re-issued certificate states its real term; the refusal names the
signer's position.

The fixed lines are taken from the seed texts themselves (../shared/seed): each line of the form less its blanks
(____, "__", 20__), the instructions in brackets ("(указывается ...)") and the labels that stand for a name
("Наименование организации"). What is left must appear in the rendered form, in the seed's order.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.applications.models import Application
from portal.decisions.models import Decision
from portal.extensions import db
from tests.portal.factories import case_without_grounds, draft_and_sign, hearing_held
from tests.support.html import page_text

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"
pytestmark = pytest.mark.skipif(not SEED_DIR.exists(), reason="shared/seed is not beside the repo")

# Where each form starts and ends in the seed, and the line after which its own text begins.
BOUNDS = {
    "ru": {1: ("Приложение 1", "Приложение 2"), 3: ("Приложение 3", "Приложение 4"), 4: ("Приложение 4", None)},
    "kk": {1: ("1-қосымша", "2-қосымша"), 3: ("3-қосымша", "4-қосымша"), 4: ("4-қосымша", None)},
}
FORM_MARK = {"ru": "Форма", "kk": "Нысан"}
# Instructions in brackets say what goes in a blank; they are not printed in a filled form.
HINT_WORDS = ("указывается", "көрсетіледі", "фамилия", "тегі", "подпись", "қолы", "полное наименование",
              "толық атауы", "при его наличии", "подписывающего", "бар болса")
# Labels that stand for a name the form fills in (Appendix 4), and the choice of Appendix 1's verb.
LABELS = ("Наименование организации", "Наименование заявителя", "Наименование услугодателя", "Ұйымның атауы",
          "Өтініш берушінің атауы", "Көрсетілетін қызметті берушінің атауы", "(переоформить)", "(қайта ресімдеуді)")
BLANK = re.compile(r'20_+|"_*"|_+')
CUT = "\x00"


def seed_form(lang: str, number: int) -> list[str]:
    lines = (SEED_DIR / f"rules-404-{lang}.txt").read_text(encoding="utf-8").splitlines()
    start, end = BOUNDS[lang][number]
    first = next(i for i, line in enumerate(lines) if line.strip() == start)
    last = next((i for i, line in enumerate(lines) if i > first and line.strip() == end), len(lines))
    body = lines[first:last]
    while body[-1].strip() in ("Цифрлық майнингтік пулдарды", "аккредиттеу қағидаларына"):  # the next form's heading
        body = body[:-1]
    mark = next(i for i, line in enumerate(body) if line.strip() == FORM_MARK[lang])
    return [line.strip() for line in body[mark + 1:] if line.strip()]


def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at `start` (or -1)."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def fixed_fragments(lines: list[str]) -> list[str]:
    """The seed's fixed wording of a form, line by line, cut where a blank, an instruction or a label stands."""
    out: list[str] = []
    skip_to = None  # an instruction in brackets that runs on to the next line ends there
    for n, line in enumerate(lines):
        text = line
        if skip_to is not None:
            text, skip_to = CUT + text[skip_to + 1:], None
        kept, i = "", 0
        while i < len(text):
            if text[i] == "(":
                # the instruction may close on this line or on the next one (never further)
                joined = text + "\n" + (lines[n + 1] if n + 1 < len(lines) else "")
                close = _closing(joined, i)
                inside = joined[i:close if close != -1 else len(text)]
                if any(word in inside for word in HINT_WORDS):
                    kept += CUT
                    if close == -1 or close >= len(text):
                        following = lines[n + 1] if n + 1 < len(lines) else ""
                        if close != -1:
                            skip_to = close - len(text) - 1
                        elif ")" in following:  # an instruction left open: it ends with the next line's last bracket
                            skip_to = following.rindex(")")
                        break
                    i = close + 1
                    continue
            kept += text[i]
            i += 1
        for label in LABELS:
            kept = kept.replace(label, CUT)
        kept = BLANK.sub(CUT, kept)
        out += [" ".join(part.split()) for part in kept.split(CUT)
                if re.search(r"\w\w", part) and part.strip()]
    return out


def assert_in_order(fragments: list[str], text: str, where: str) -> None:
    position = 0
    for fragment in fragments:
        found = text.find(fragment, position)
        assert found != -1, f"{where}: the seed's «{fragment}» is not in the form (after position {position}):\n{text}"
        position = found + len(fragment)


def test_the_seed_gives_fixed_lines_for_each_form():
    # The extraction itself: it keeps the wording and drops the blanks, instructions and labels.
    ru3 = fixed_fragments(seed_form("ru", 3))
    assert ru3[0] == "Свидетельство об аккредитации цифрового майнингового пула"
    assert "Настоящее свидетельство выдано" in ru3 and "признать аккредитованным в соответствии с Правилами " \
        "аккредитации цифрового" in ru3
    assert not any("указывается" in f or "_" in f for f in ru3)
    kk1 = fixed_fragments(seed_form("kk", 1))
    assert "аккредиттеуді" in kk1 and "сұраймын." in kk1 and "Ақпараттық" in kk1
    assert not any("көрсетіледі" in f or "толық атауы" in f for f in kk1)
    assert fixed_fragments(seed_form("ru", 4))[:2] == ["Мотивированный отказ", "Номер №:"]


def _as(client, lang):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang


def _certificate(app, client, auth) -> int:
    case_id = case_without_grounds(app)
    draft_and_sign(client, auth, case_id)
    return case_id


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_appendix_3_the_certificate_keeps_the_seed_wording(app, client, auth, lang):
    case_id = _certificate(app, client, auth)
    with app.app_context():
        pool = db.session.get(Application, case_id).pool_name or db.session.get(Application, case_id).legal_name
    auth.login("applicant")
    _as(client, lang)
    text = page_text(client.get(f"/applications/{case_id}/decision").get_data(as_text=True))
    assert_in_order(fixed_fragments(seed_form(lang, 3)), text, f"Appendix 3 ({lang})")
    # both places of the pool's name: to whom it is issued, and who is recognised as accredited
    assert text.count(pool) >= 2
    if lang == "kk":
        assert f"Осы куәлік {pool} цифрлық майнингтік пулына" in text
        assert f"сәйкес {pool} цифрлық майнингтік пулы аккредиттелген деп танылсын" in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_appendix_4_the_refusal_keeps_the_seed_wording_and_names_the_signers_position(app, client, auth, lang):
    case_id = hearing_held(app, client, auth)
    draft_and_sign(client, auth, case_id)
    with app.app_context():
        signer = db.session.scalar(db.select(Decision).filter_by(application_id=case_id)).signer
    assert signer and signer.get("position")
    auth.login("applicant")
    _as(client, lang)
    text = page_text(client.get(f"/applications/{case_id}/decision").get_data(as_text=True))
    assert_in_order(fixed_fragments(seed_form(lang, 4)), text, f"Appendix 4 ({lang})")
    label = {"ru": "Должность подписывающего:", "kk": "Қол қоюшы лауазымы:"}[lang]
    assert f"{label} {signer['position']}" in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_appendix_1_the_application_states_the_request_and_the_declaration(app, client, auth, lang):
    auth.login("applicant")
    with app.app_context():
        from portal.accounts.models import User
        from portal.applications import services as applications

        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        case = applications.start_draft(owner, "accreditation", owner.organization)
        applications.save_draft(case, {"legal_name": owner.organization.name, "bin": owner.organization.bin,
                                       "main": {"settlement": "Астана", "address": "Мәңгілік Ел, 55"}}, owner)
        case.consent_secrets = case.consent_personal_data = True
        db.session.commit()
        case_id = case.id
    _as(client, lang)
    text = page_text(client.get(f"/applications/{case_id}/submit").get_data(as_text=True))
    assert_in_order(fixed_fragments(seed_form(lang, 1)), text, f"Appendix 1 ({lang})")


def test_a_reissued_certificate_states_its_real_term(app, client, auth):
    from tests.portal.factories import issued_certificate, reissue

    first = issued_certificate(app, client, auth)
    with app.app_context():
        number, valid_until = first.number, first.valid_until
    decision_id = reissue(app, client, auth, number)  # drafted and signed
    with app.app_context():
        reissued = db.session.get(Decision, decision_id)
        case_id = reissued.application_id
        assert reissued.valid_until == valid_until  # п.12 changes the certificate, not the accreditation's term
    auth.login("applicant")
    for lang, one_year in (("ru", "один год со дня выдачи"), ("kk", "берілген күннен бастап бір жылды құрайды")):
        _as(client, lang)
        text = page_text(client.get(f"/applications/{case_id}/decision").get_data(as_text=True))
        assert one_year not in text
        assert valid_until.strftime("%d.%m.%Y") in text and number in text
