"""The proportions of a real year: how many cases end where, and the names the generated data is made of."""
from __future__ import annotations

import random

from portal.applications.models import (AWAITING_DECISION, CERTIFICATE_ISSUED, DECISION_DRAFTED, DRAFT,
                                        GROUNDS_FOUND, HEARING_HELD, INCOMPLETE_REFUSED, PRELIMINARY_REFUSAL,
                                        REFUSED, REGISTERED, UNDER_REVIEW)

# Share of all cases at each final or current stage.
STAGES: tuple[tuple[str, float], ...] = (
    (CERTIFICATE_ISSUED, 0.700),
    (REFUSED, 0.075),              # after a preliminary refusal and a hearing
    (INCOMPLETE_REFUSED, 0.120),   # п.7: the package was incomplete
    (DRAFT, 0.020),                # started, never submitted
    (REGISTERED, 0.014),
    (UNDER_REVIEW, 0.014),
    (GROUNDS_FOUND, 0.006),
    (AWAITING_DECISION, 0.012),
    (PRELIMINARY_REFUSAL, 0.012),
    (HEARING_HELD, 0.005),
    (DECISION_DRAFTED, 0.012),
)
OPEN_STAGES = (REGISTERED, UNDER_REVIEW, GROUNDS_FOUND, AWAITING_DECISION, PRELIMINARY_REFUSAL, HEARING_HELD,
               DECISION_DRAFTED)
CLOSED_STAGES = (CERTIFICATE_ISSUED, REFUSED, INCOMPLETE_REFUSED)
OVERDUE_SHARE = 0.003          # of all cases: open with a missed deadline
REISSUE_SHARE = 0.20           # of the cases of an organisation that already holds a certificate
CHANCELLERY_SHARE = 0.15
WITHDRAWN_SHARE = 0.10         # of the hearings: the refusal is withdrawn and a certificate follows
COMPLAINT_SHARE = 0.01         # of all cases
# Of the complaints: addressed to the authority itself (п.19); of those to the provider, settled by a favourable
# act (п.17), forwarded by a supervisor's hand, the rest forwarded by the sweeper on the third working day.
TO_AUTHORITY_SHARE = 0.20
FAVOURABLE_ACT_SHARE = 0.15
FORWARDED_BY_HAND_SHARE = 0.55
CASES_PER_DEMO_ORGANIZATION = 12
SCALE_CLERKS, SCALE_SIGNATORIES = 12, 3

SETTLEMENTS = ("Астана", "Алматы", "Шымкент", "Караганда", "Актобе", "Павлодар", "Экибастуз", "Усть-Каменогорск",
               "Семей", "Костанай", "Атырау", "Тараз", "Кызылорда", "Петропавловск", "Актау", "Туркестан",
               "Талдыкорган", "Кокшетау", "Уральск", "Темиртау")
STREETS = ("пр. Абая", "ул. Сатпаева", "пр. Республики", "ул. Кабанбай батыра", "ул. Толе би", "пр. Назарбаева",
           "ул. Жибек жолы", "ул. Ауэзова", "ул. Гоголя", "ул. Букейханова")
PROVIDERS = ("Kazakhtelecom", "Transtelecom", "Beeline", "Kcell", "Jusan Mobile", "2Day Telecom", "Alma TV", "ASTEL")
WORDS = ("Altyn", "Steppe", "Tengri", "Sunkar", "Baiterek", "Kaspi", "Aral", "Alatau", "Nomad", "Saryarka",
         "Khan", "Zhuldyz", "Kokzhiek", "Irbis", "Tulpar", "Aksai", "Esil", "Shygys")
FIRST_NAMES = ("Айгерім", "Ерлан", "Дана", "Нұрлан", "Асель", "Руслан", "Гүлнар", "Марат", "Дәулет", "Жанар")
SURNAMES = ("Сейітов", "Омаров", "Ахметов", "Искаков", "Жумабеков", "Нұрланов", "Петров", "Серіков", "Қасымов")


def stage_shares() -> dict[str, float]:
    return dict(STAGES)


def expected_overdue(cases: int) -> int:
    return round(OVERDUE_SHARE * cases) or (1 if cases >= 100 else 0)


def plan_stages(count: int, rng: random.Random) -> list[str]:
    """Exactly the proportions (largest remainders), each stage at least once from 100 cases, shuffled."""
    total = sum(share for _stage, share in STAGES)
    quotas = [(stage, share * count / total) for stage, share in STAGES]
    counts = {stage: int(q) for stage, q in quotas}
    rest = count - sum(counts.values())
    for stage, q in sorted(quotas, key=lambda sq: sq[1] - int(sq[1]), reverse=True)[:rest]:
        counts[stage] += 1
    if count >= 100:
        for stage, _share in STAGES:
            if counts[stage] == 0:
                largest = max(counts, key=counts.get)
                counts[largest] -= 1
                counts[stage] = 1
    stages = [stage for stage, n in counts.items() for _ in range(n)]
    rng.shuffle(stages)
    return stages


def spread(wanted: int, total: int, seen: int, rand) -> bool:
    """One more of `wanted` left among `total` candidates, `seen` of them so far: spread evenly over them."""
    return bool(wanted) and rand() < wanted / max(1, total - seen + 1)
