"""The demo people and organisations; BINs carry valid check digits."""

ORGANIZATIONS = [
    {"bin": "210640005550", "name": 'ТОО "Altyn Hash Pool"', "legal_address": "Астана, пр. Мәңгілік Ел, 55"},
    {"bin": "180540007773", "name": 'ТОО "Steppe Mining Pool"', "legal_address": "Алматы, ул. Сатпаева, 30"},
]

# username, full name, role, organisation index (applicants only); password = "demo-" + username
USERS = [
    ("applicant", "Айгерім Сейітова", "applicant", 0),
    ("applicant2", "Ruslan Petrov", "applicant", 1),
    ("clerk", "Дана Омарова", "clerk", None),
    ("signatory", "Ерлан Жумабеков", "signatory", None),
    ("supervisor", "Гүлнар Ахметова", "supervisor", None),
    ("authority", "Марат Искаков", "authority", None),
    ("admin", "Admin Operator", "admin", None),
]

# Who holds the demo organisations' keys in the development PKI (flask demo seed makes it under
# <instance>/pki): names as НУЦ РК writes them, "SURNAME NAME PATRONYMIC"; IINs with valid check digits.
SIGNERS = {
    "210640005550": {"head_iin": "880425400128", "head_name": "СЕЙІТОВА АЙГЕРІМ НҰРЛАНҚЫЗЫ",
                     "employee_iin": "911103300230", "employee_name": "ОМАРОВ ЕРЛАН БОЛАТҰЛЫ"},
    "180540007773": {"head_iin": "790612300347", "head_name": "ПЕТРОВ РУСЛАН АНДРЕЕВИЧ",
                     "employee_iin": "950308400672", "employee_name": "ЖАНСЕРІКОВА ӘСЕЛ ДӘУЛЕТҚЫЗЫ"},
}


def pki_organizations() -> list[dict]:
    """The demo organisations as portal.signatures.pki.init_pki wants them."""
    return [{"bin": org["bin"], "name": org["name"], **SIGNERS[org["bin"]]} for org in ORGANIZATIONS]
