"""Names the Rules themselves give: the documents of Appendix 2 item 8 and the conditions of п.4.

Their texts are the law version's own (kk, ru, en in rules/data/order_404.json), not the catalog's; a code is
looked for in the newest version first, so a document a later version renames reads with its current name.
"""
from __future__ import annotations

from portal.core.i18n import localized
from portal.core.labels import register_resolver
from portal.law.services import all_versions


def _versions():
    return [version for _row, version in reversed(all_versions())]


def document(code):
    for law in _versions():
        for routes in law.documents.values():
            for documents in routes.values():
                for doc in documents.documents:
                    if doc.code == code:
                        return localized(doc.name)
    return None


def condition(code):
    for law in _versions():
        for c in law.conditions:
            if c.code == code:
                return localized(c.text)
    return None


register_resolver("document", document)
register_resolver("condition", condition)
