"""An application that meets every requirement, and the state facts that go with it."""
from __future__ import annotations


def good_application(**changes):
    app = {
        "main_complex": {"country": "KZ", "settlement": "г. Алматы"},
        "main_channels": [{"provider": "Kazakhtelecom"}, {"provider": "Beeline"}],
        "backup_complexes": [{"settlement": "Астана", "channels": [{"provider": "Kcell"}, {"provider": "Transtelecom"}]}],
        "support_24_7": True,
        "ui_languages": {"kk", "ru", "en"},
        "security_test_act": {"number": "12", "date": "2025-01-15"},
        "state_service_integration": True,
        "consent_personal_data": True,
        "consent_secrets": True,
    }
    app.update(changes)
    return app


GOOD_STATE = {"security_test_act_positive": True, "court_ban": False,
              "court_deprived_special_right": False, "documents_unreliable": False}
