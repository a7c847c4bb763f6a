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
