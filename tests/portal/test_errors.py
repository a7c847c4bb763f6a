"""portal/core/errors.py: one WrongStage, one base for field errors, one way to put them on a form."""
from __future__ import annotations

import pytest
from wtforms import Form, StringField

from portal.applications.services import AlreadySubmitted
from portal.complaints import services as complaints
from portal.core import errors
from portal.decisions import services as decisions
from portal.hearings import services as hearings
from portal.review import services as review


class _Form(Form):
    note = StringField()
    reason = StringField()


def test_every_step_raises_the_one_wrong_stage():
    assert review.WrongStage is hearings.WrongStage is decisions.WrongStage is complaints.WrongStage \
        is errors.WrongStage
    assert issubclass(complaints.ForwardTermOver, errors.WrongStage)
    assert issubclass(AlreadySubmitted, errors.WrongStage)


def test_field_errors_of_every_step_share_one_base():
    assert review.InvalidDecision is hearings.InvalidDecision is errors.InvalidDecision
    for error in (errors.InvalidDecision, complaints.InvalidComplaint):
        assert issubclass(error, errors.DomainError)
        assert error({"note": "Write it."}).errors == {"note": "Write it."}


def test_the_messages_go_next_to_their_fields_and_the_others_elsewhere():
    form, elsewhere = _Form(), {}
    errors.show_on_form(form, errors.InvalidDecision({"note": "Write a note.", "stands-1": "Say why."}), elsewhere)
    assert form.note.errors == ["Write a note."]
    assert not form.reason.errors
    assert elsewhere == {"stands-1": "Say why."}


def test_a_message_for_no_field_and_no_elsewhere_is_a_programming_error():
    with pytest.raises(KeyError):
        errors.show_on_form(_Form(), complaints.InvalidComplaint({"nonexistent": "x"}))
