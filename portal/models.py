"""Imports every module's models so Alembic and the app see one metadata."""
from portal.accounts.models import Organization, User  # noqa: F401
from portal.applications.models import Application, Complex  # noqa: F401
from portal.calendar.models import CalendarException  # noqa: F401
from portal.deadlines.models import Deadline, DeadlineEffect  # noqa: F401
from portal.documents.models import Document  # noqa: F401
from portal.events.models import Event  # noqa: F401
from portal.law.models import LawVersionRecord  # noqa: F401
from portal.gateway.models import StateFacts  # noqa: F401
from portal.review.models import ReviewDecision  # noqa: F401
from portal.signatures.models import LoginChallenge, Signature  # noqa: F401
from portal.hearings.models import HearingRecord, HearingSlot, PreliminaryRefusal  # noqa: F401
from portal.decisions.models import Decision  # noqa: F401
from portal.notifications.models import OutboxMessage  # noqa: F401
from portal.complaints.models import Complaint  # noqa: F401
from portal.core.page_cache import PageVersion  # noqa: F401
