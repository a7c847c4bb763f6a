"""The demo people and organisations; BINs carry valid check digits."""

from portal.signatures.pki import DEMO_AUTHORITY, DEMO_PROVIDER

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


def _provider_staff() -> dict:
    return {"provider": (DEMO_PROVIDER["bin"], DEMO_PROVIDER["name"]),
            "authority": (DEMO_AUTHORITY["bin"], DEMO_AUTHORITY["name"])}


# Every demo account's own keys in the development PKI (<instance>/pki/people/<username>/, RSA and gost/):
# applicants are their organisation's first head; the provider's and the authority's officials are employees of
# their body (BIN of the body, PROVIDER_BIN / AUTHORITY_BIN), the signatories with the right to sign (п.11, п.19).
# username: (IIN, name as НУЦ РК writes it, body or organisation index, role)
_PEOPLE = {
    "applicant": (SIGNERS["210640005550"]["head_iin"], SIGNERS["210640005550"]["head_name"], 0, "first_head"),
    "applicant2": (SIGNERS["180540007773"]["head_iin"], SIGNERS["180540007773"]["head_name"], 1, "first_head"),
    "clerk": ("870214300112", "ОМАРОВА ДАНА ЕРЛАНҚЫЗЫ", "provider", "employee"),
    "signatory": ("901115400220", "ЖУМАБЕКОВ ЕРЛАН ҚАЙРАТҰЛЫ", "provider", "signing_right"),
    "supervisor": ("760505300338", "АХМЕТОВА ГҮЛНАР СЕРІКҚЫЗЫ", "provider", "employee"),
    "authority": ("821201400449", "ИСКАКОВ МАРАТ ТАЛҒАТҰЛЫ", "authority", "signing_right"),
    "admin": ("850303500551", "OPERATOR ADMIN", None, None),
}


def people() -> list[dict]:
    """The demo accounts as portal.signatures.pki.init_pki(people=…) wants them (IIN also on the account)."""
    bodies = _provider_staff()
    out = []
    for username, (iin, name, where, role) in _PEOPLE.items():
        if isinstance(where, int):
            bin_, organization = ORGANIZATIONS[where]["bin"], ORGANIZATIONS[where]["name"]
        elif where is not None:
            bin_, organization = bodies[where]
        else:
            bin_ = organization = None
        out.append({"username": username, "iin": iin, "name": name, "bin": bin_, "organization": organization,
                    "role": role})
    return out


def iin_of(username: str) -> str:
    return _PEOPLE[username][0]
