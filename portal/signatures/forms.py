"""The upload of a signed XML document: a file, or its text pasted."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import TextAreaField

from portal.core.forms import PortalForm
from portal.core.i18n import lazy_gettext as _l
from portal.signatures.messages import sentence

# Every document the portal has people sign is far smaller (the largest, a complaint with both texts at their
# limit, is about 90 KB); a GOST digest costs ~1.4 ms per KB in Python, so a bigger upload is refused unread.
MAX_BYTES = 256 * 1024


class SignedDocumentForm(PortalForm):
    """One signed XML document; after validate(), `document` holds its bytes (None when none was given)."""

    signed_file = FileField(_l("Signed XML file"))
    signed_text = TextAreaField(_l("Or paste the signed XML"))
    required = True
    document: bytes | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.document = self._read()
        if self.document is None and self.required:
            self.refuse(sentence("document.missing"))
        elif self.document is not None and len(self.document) > MAX_BYTES:
            self.refuse(sentence("document.too_large", limit=MAX_BYTES // 1024))
        return valid and not self.errors

    def _read(self) -> bytes | None:
        upload = self.signed_file.data
        if upload is not None and getattr(upload, "filename", ""):
            data = upload.stream.read(MAX_BYTES + 1)
            if data:
                return data
        text = self.signed_text.data or ""
        if text.strip():
            self._source = self.signed_text
            return text.encode("utf-8")
        return None

    def refuse(self, message: str) -> None:
        """Show `message` next to the field the document came from."""
        field = getattr(self, "_source", None) or self.signed_file
        field.errors = [*field.errors, message]
