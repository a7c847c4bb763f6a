"""The interface every gateway client implements."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StateAnswer:
    """What the state systems say about an applicant; None where a system gave no answer."""

    source: str
    is_development: bool
    registration: dict | None = None          # state registration of the legal entity
    identity: dict | None = None              # the head's identity document
    security_test_act: dict | None = None     # {"number", "date", "positive"}
    court_ban: bool | None = None
    court_deprived_special_right: bool | None = None
    raw: dict = field(default_factory=dict)

    def as_state_facts(self) -> dict:
        """The facts rules.grounds.assess reads."""
        act = self.security_test_act or {}
        return {"security_test_act_positive": act.get("positive"), "court_ban": self.court_ban,
                "court_deprived_special_right": self.court_deprived_special_right}


class StateGateway(Protocol):
    """A client of the e-government gateway; production plugs its own in via STATE_GATEWAY."""

    def fetch(self, bin_: str, security_act_number: str) -> StateAnswer: ...
