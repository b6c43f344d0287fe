"""Norwegian identifier checks used by the data checks and by the mock's generator.

Organisation and account numbers use python-stdnum. Fødselsnummer/D-nummer are checked here, because
python-stdnum rejects synthetic (+80 month) test numbers and numbers issued under the 2032 rule
(see the Folkeregisteret page "Nytt fødselsnummer fra 2032").
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.no import kontonr, orgnr

_K1_W = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K2_W = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _wsum(weights: tuple[int, ...], digits: str) -> int:
    return sum(w * int(d) for w, d in zip(weights, digits, strict=False))


def orgnr_ok(value: str) -> bool:
    return orgnr.is_valid(value) and len(value) == 9


def kontonr_ok(value: str) -> bool:
    return len(value) == 11 and kontonr.is_valid(value)


def fnr_ok(value: str, allow_2032: bool = True) -> bool:
    """Control digits of a fødselsnummer or D-nummer (also synthetic +80 numbers), and a plausible date.

    Under the 2032 rule the first weighted sum may be 0, 1, 2 or 3 (mod 11); the second is unchanged.
    """
    if len(value) != 11 or not value.isdigit():
        return False
    r1 = _wsum(_K1_W, value[:10]) % 11
    r2 = _wsum(_K2_W, value) % 11
    if r2 != 0 or r1 not in ((0, 1, 2, 3) if allow_2032 else (0,)):
        return False
    if value[0] in "89":  # FH-nummer: carries no date
        return True
    day, month = int(value[0:2]), int(value[2:4])
    if day > 40:  # D-nummer
        day -= 40
    if month > 80:  # synthetic test number (Tenor / Digdir)
        month -= 80
    elif month > 40:  # H-nummer, NAV Dolly
        month -= 40
    return 1 <= day <= 31 and 1 <= month <= 12


def kid_ok(value: str) -> bool:
    """KID: 2..25 digits with a valid MOD10 (Luhn) or MOD11 check digit."""
    if not (2 <= len(value) <= 25) or not value.isdigit():
        return False
    return luhn.is_valid(value) or _kid_mod11_ok(value)


def _kid_mod11_ok(value: str) -> bool:
    body, check = value[:-1], value[-1]
    s = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    c = (11 - s % 11) % 11
    return c != 10 and check == str(c)


def fnr_with_check_digits(prefix9: str) -> str | None:
    """Complete nine digits to an 11-digit number with valid (pre-2032) control digits, or None."""
    k1 = (11 - _wsum(_K1_W[:9], prefix9) % 11) % 11
    if k1 == 10:
        return None
    k2 = (11 - _wsum(_K2_W[:10], prefix9 + str(k1)) % 11) % 11
    if k2 == 10:
        return None
    return f"{prefix9}{k1}{k2}"


def orgnr_with_check_digit(prefix8: str) -> str | None:
    """Complete eight digits to a valid organisation number, or None when no check digit exists."""
    for digit in "0123456789":
        if orgnr_ok(prefix8 + digit):
            return prefix8 + digit
    return None


def kid_with_luhn(body: str) -> str:
    return body + luhn.calc_check_digit(body)
