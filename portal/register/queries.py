"""Certificates in the register: current, expired, and those a re-issued certificate replaced."""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import defer

from portal.applications import services as applications
from portal.applications.models import Application, Complex
from portal.core.pagination import paginate
from portal.decisions.certificates import (REISSUE_GROUND_TEXT, _replaced_clause, certificate_being_reissued,  # noqa: F401
                                           certificate_number, claim_holder, is_replaced, obstacle_sentence,
                                           reissue_ground, reissue_obstacle)
from portal.decisions.models import CERTIFICATE, SIGNED, Decision


def register(search: str, page: int, per_page: int = 25, settlement: str = ""):
    """A page of the register: signed certificates not replaced by a re-issued one, current first."""
    return paginate(register_query(search, settlement), page, per_page)


def register_query(search: str, settlement: str = ""):
    """Signed certificates not replaced by a re-issued one, current first.

    `search` matches the pool's or organisation's name, the BIN or the number; `settlement` the settlement of the
    main hardware-software complex, the location the register shows (a backup complex's is not on the
    certificate, so a match there would show a row without the place asked for).
    """
    # The row shows the certificate's own content: neither the case nor the signed XML is loaded.
    query = (select(Decision).join(Application, Application.id == Decision.application_id)
             .where(Decision.kind == CERTIFICATE, Decision.status == SIGNED, ~_replaced_clause())
             .options(defer(Decision.document), defer(Decision.signer)))
    search = search.strip()
    if search:
        like = f"%{_escape_like(search)}%"  # ILIKE folds the case (SQLite's only for ASCII: never lower() here)
        query = query.where(or_(Application.pool_name.ilike(like, escape="\\"),
                                Application.legal_name.ilike(like, escape="\\"),
                                Application.bin == search, Decision.number == search.upper()))
    settlement = settlement.strip()
    if settlement:
        like = f"%{_escape_like(settlement)}%"
        query = query.where(exists(select(Complex.id).where(
            Complex.application_id == Application.id, Complex.role == "main",
            Complex.settlement.ilike(like, escape="\\"))))
    # Latest end of validity first puts the current certificates first (each ends on or after today, each
    # expired one before it), in the order of the index ix_decision_register.
    query = query.order_by(Decision.valid_until.desc(), Decision.id.desc())
    return query


def _escape_like(text: str) -> str:
    """Typed text matched as itself: a "%" or "_" in the query is no wildcard."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The first step asks the register whether a re-issuance may take its certificate (п.12) through this hook: late
# bound, so what it calls is what this module holds when it is called.
applications.register_certificates(obstacle=lambda application: reissue_obstacle(application),
                                   sentence=lambda obstacle: obstacle_sentence(obstacle))
