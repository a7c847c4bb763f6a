"""The refusals every step of the procedure raises, and the one way a view shows their messages on a form.

Services raise them; views catch them, roll back and answer: WrongStage with "the case has moved on",
a DomainError with its messages next to the fields they concern.
"""
from __future__ import annotations


class WrongStage(Exception):
    """The case (or complaint) is not at the stage this action belongs to: someone moved it on."""


class DomainError(Exception):
    """A refusal the person can correct: `errors` maps the form's field names to messages (lazy texts)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class InvalidDecision(DomainError):
    """An official's decision on a step of a case (review, hearing) that must be corrected."""


def show_on_form(form, error: DomainError, elsewhere: dict | None = None) -> None:
    """Put each message of `error` on the WTForms field of that name.

    A message for a name the form has no field for goes into `elsewhere` (fields the page draws itself, like
    the reasons of each ground); without `elsewhere` such a name is a programming error (KeyError).
    """
    for name, message in error.errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [message]
        elif elsewhere is not None:
            elsewhere[name] = message
        else:
            raise KeyError(name)
