"""Norwegian identifier checks used by the data checks and by the mock's generator.

Organisation and account numbers use python-stdnum. Fødselsnummer/D-nummer are checked here, because
python-stdnum rejects synthetic (+80 month) test numbers and numbers issued under the 2032 rule
(see the Folkeregisteret page "Nytt fødselsnummer fra 2032").
"""

from __future__ import annotations

import functools
import operator

from stdnum import luhn
from stdnum.no import kontonr, orgnr

_K1_W = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K2_W = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _wsum(weights: tuple[int, ...], digits: str) -> int:
    """The weighted sum of the digits (as many as there are weights). ASCII digits are summed as their bytes, the
    offset of "0" (48) taken off once: half the cost of int() per digit, over every item of a long list."""
    if digits.isascii():
        return sum(map(operator.mul, weights, digits.encode())) - 48 * sum(weights[:len(digits)])
    return sum(map(operator.mul, weights, map(int, digits)))  # other Unicode digits, as int() reads them


# Remembered: a list names the same few organisations and accounts in every item (100 000 items, a handful of
# distinct numbers), and python-stdnum's checks cost ~10 us each.
@functools.lru_cache(maxsize=65536)
def orgnr_ok(value: str) -> bool:
    return orgnr.is_valid(value) and len(value) == 9


@functools.lru_cache(maxsize=65536)
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


# Weights of the date digits (DDMMYY) and of the individnummer's three digits, for each control digit.
_K1_DATE, _K1_INDIVID = _K1_W[:6], _K1_W[6:9]
_K2_DATE, _K2_INDIVID, _K2_K1 = _K2_W[:6], _K2_W[6:9], _K2_W[9]


def first_fnr(day: int, month: int, year: int, individ_from: int, individ_to: int = 500) -> str | None:
    """The first fødselsnummer for this date (``month`` with any +40/+80 mark, ``year`` two digits) with an
    individnummer in ``[individ_from, individ_to)`` for which control digits exist (pre-2032 rule), or None.

    Computed on integers, the date's weighted sums once: the mock builds a skyldner for every item it serves.
    """
    date = (day // 10, day % 10, month // 10, month % 10, year // 10, year % 10)
    s1 = sum(map(operator.mul, _K1_DATE, date))
    s2 = sum(map(operator.mul, _K2_DATE, date))
    (w1a, w1b, w1c), (w2a, w2b, w2c) = _K1_INDIVID, _K2_INDIVID
    for individ in range(individ_from, individ_to):
        a, b, c = individ // 100, individ // 10 % 10, individ % 10
        k1 = -(s1 + w1a * a + w1b * b + w1c * c) % 11
        if k1 == 10:
            continue
        k2 = -(s2 + w2a * a + w2b * b + w2c * c + _K2_K1 * k1) % 11
        if k2 != 10:
            return f"{day:02d}{month:02d}{year:02d}{individ:03d}{k1}{k2}"
    return None


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits summed


class KidSeries:
    """KID numbers ``prefix`` + a number zero-padded to ``width`` digits + the Luhn (MOD10) check digit.

    The prefix's share of the Luhn sum is taken once and the number's digits are summed as integers: the
    mock builds a KID for every item it serves, and python-stdnum's generic ``luhn.calc_check_digit`` cost
    about 45k instructions per KID (callgrind), 14 % of a first-sync call. A test checks both agree, and
    ``kid_ok`` validates with python-stdnum.
    """

    def __init__(self, prefix: str, width: int) -> None:
        self.prefix, self.width = prefix, width
        # Counting from the right of prefix + number, positions 0, 2, 4, ... are doubled.
        self._prefix_sum = sum(_LUHN_DOUBLED[int(d)] if (width + pos) % 2 == 0 else int(d)
                               for pos, d in enumerate(reversed(prefix)))

    def __call__(self, number: int) -> str:
        if not 0 <= number < 10**self.width:
            raise ValueError(f"{number} does not fit in {self.width} digits")
        total, rest = self._prefix_sum, number
        for pos in range(self.width):
            rest, digit = divmod(rest, 10)
            total += _LUHN_DOUBLED[digit] if pos % 2 == 0 else digit
        return f"{self.prefix}{number:0{self.width}d}{-total % 10}"
