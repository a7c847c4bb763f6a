"""Kazakhstan's 12-digit identifiers (IIN of a person, BIN of a legal entity) and their check digit.

The 12th digit is a control digit: the weighted sum of the first 11 digits with weights
1..11, modulo 11; when that is 10, the weights 3..11,1,2 are used instead; a second 10
means the number cannot be valid.
"""
from __future__ import annotations

_FIRST = tuple(range(1, 12))
_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The control digit for 11 digits, or None when no digit can make them valid."""
    digits = [int(c) for c in first11]
    for weights in (_FIRST, _SECOND):
        control = sum(d * w for d, w in zip(digits, weights)) % 11
        if control != 10:
            return control
    return None


def is_valid_identifier(value: str) -> bool:
    """True for 12 ASCII digits whose last digit is the right control digit."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return check_digit(value[:11]) == int(value[11])


def make_identifier(first11: str) -> str | None:
    """Complete 11 digits into a valid identifier (for demo data and tests)."""
    control = check_digit(first11)
    return None if control is None else first11 + str(control)
