"""Every form of the portal extends PortalForm or PortalSubForm, whose Meta gives each text field the XML filter.

The filter (portal.core.forms.XmlTextMeta) drops what XML 1.0 cannot carry from StringField and all that
extends it, nested in FormField and FieldList too; a password is read as typed. test_control_characters.py
checks every real form field by field; this file checks that no form can be declared without the base, and
the cases no portal form has yet.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (FieldList, Form, FormField, HiddenField, IntegerField, PasswordField, StringField,
                     TextAreaField)

import portal
from portal.core.forms import PortalForm, PortalSubForm

TYPED = "Сы\x0bғанақ\x01\x00\uffff\t10"
KEPT = "Сығанақ\t10"


def _every_portal_form() -> list[type]:
    """Every subclass of wtforms.Form defined in a module of portal/ (each module imported first)."""
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".translations" not in module.name and not module.name.endswith(".__main__"):  # not a program's start
            importlib.import_module(module.name)
    found, stack = [], [Form]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls.__module__.startswith("portal.") and cls not in (PortalForm, PortalSubForm):
                found.append(cls)
    return found


def test_every_form_of_the_portal_extends_the_base(app):  # app: every model mapped before modules are imported
    forms = _every_portal_form()
    assert {"LoginForm", "ApplicationForm", "ComplexForm", "SignedDocumentForm"} <= {cls.__name__ for cls in forms}
    for cls in forms:
        if issubclass(cls, FlaskForm):
            assert issubclass(cls, PortalForm), f"{cls.__module__}.{cls.__name__} must extend PortalForm"
        else:
            assert issubclass(cls, PortalSubForm), f"{cls.__module__}.{cls.__name__} must extend PortalSubForm"


class _Row(PortalSubForm):
    note = TextAreaField()
    secret = PasswordField()


class _Everything(PortalForm):
    text = StringField()
    area = TextAreaField()
    hidden = HiddenField()
    password = PasswordField()
    stripped = StringField(filters=[lambda value: value.strip() if value else value])
    absent = StringField()
    number = IntegerField()
    names = FieldList(StringField(), min_entries=1)
    rows = FieldList(FormField(_Row), min_entries=1)
    one = FormField(_Row)


def _read(cls, data: dict):
    return cls(formdata=MultiDict(data), meta={"csrf": False})


def test_text_fields_at_every_depth_drop_what_xml_cannot_carry_and_passwords_are_read_as_typed(app):
    with app.test_request_context():
        form = _read(_Everything, {
            "text": TYPED, "area": TYPED, "hidden": TYPED, "password": TYPED, "stripped": f"  {TYPED}  ",
            "number": "7", "names-0": TYPED, "names-1": TYPED, "rows-0-note": TYPED, "rows-0-secret": TYPED,
            "one-note": TYPED, "one-secret": TYPED})
    assert form.text.data == form.area.data == form.hidden.data == KEPT
    assert form.stripped.data == KEPT  # the field's own filter and the XML one, both
    assert [entry.data for entry in form.names] == [KEPT, KEPT]
    assert form.rows[0].form.note.data == form.one.form.note.data == KEPT
    assert form.password.data == form.rows[0].form.secret.data == form.one.form.secret.data == TYPED
    assert form.absent.data is None and form.number.data == 7  # not text: left as read


def test_the_filter_is_the_bases_alone_not_a_patch_of_wtforms(app):
    class Plain(FlaskForm):
        text = StringField()

    with app.test_request_context():
        assert _read(Plain, {"text": TYPED}).text.data == TYPED


@pytest.mark.parametrize("field", [StringField, TextAreaField, HiddenField])
def test_the_filter_is_added_once_however_often_the_form_is_built(app, field):
    class Once(PortalForm):
        text = field()

    with app.test_request_context():
        for _ in range(3):
            assert len(_read(Once, {"text": TYPED}).text.filters) == 1
