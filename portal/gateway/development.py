"""The development gateway: answers from fixtures for the demo organisations, and says so."""
from __future__ import annotations

from portal.gateway.base import StateAnswer

FIXTURES = {
    "210640005550": {
        "registration": {"bin": "210640005550", "name": 'ТОО "Altyn Hash Pool"', "registered_on": "2021-06-15",
                         "status": "active"},
        "identity": {"iin": "850101300123", "name": "Сейітова Айгерім", "document": "ID card 045612378"},
        "security_test_act": {"number": "ИБ-2026/117", "date": "2026-09-30", "positive": True},
        "court_ban": False, "court_deprived_special_right": False,
    },
    "180540007773": {
        "registration": {"bin": "180540007773", "name": 'ТОО "Steppe Mining Pool"', "registered_on": "2018-05-03",
                         "status": "active"},
        "identity": {"iin": "790202400456", "name": "Petrov Ruslan", "document": "ID card 039988112"},
        "security_test_act": {"number": "ИБ-2025/044", "date": "2025-02-11", "positive": False},
        "court_ban": False, "court_deprived_special_right": False,
    },
}


class DevelopmentGateway:
    """Fixture answers; an unknown BIN gets no answer from any system (every fact unknown)."""

    source = "development fixtures"

    def fetch(self, bin_: str, security_act_number: str) -> StateAnswer:
        data = FIXTURES.get(bin_)
        if data is None:
            return StateAnswer(source=self.source, is_development=True)
        return StateAnswer(source=self.source, is_development=True, registration=data["registration"],
                           identity=data["identity"], security_test_act=data["security_test_act"],
                           court_ban=data["court_ban"], court_deprived_special_right=data["court_deprived_special_right"],
                           raw=data)
