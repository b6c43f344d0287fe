"""Identifier checks against the worked examples of the reference (maskinporten.md §9)."""

import pytest

from conformance.identifiers import fnr_ok, kid_ok, kontonr_ok, orgnr_ok
from conformance.profiles.trekkpaalegg.datarules import identifier_problems, period_problems


@pytest.mark.parametrize("n, ok", [("123456785", True), ("974761076", True), ("971648199", False),
                                   ("123456789", False), ("310702641", True), ("12345678", False)])
def test_orgnr(n, ok):
    assert orgnr_ok(n) is ok


@pytest.mark.parametrize("n", ["02013299997", "30108299920", "01018012371", "41018012365", "01418012354",
                               "01818012337", "41818012320", "11887197158"])
def test_fnr_valid_under_both_rules(n):
    assert fnr_ok(n) and fnr_ok(n, allow_2032=False)


@pytest.mark.parametrize("n", ["02013299903", "02013299911", "30108299939"])
def test_fnr_valid_only_under_2032_rule(n):
    assert fnr_ok(n) and not fnr_ok(n, allow_2032=False)


@pytest.mark.parametrize("n", ["10108412345", "0101801237", "01018012372", "abcdefghijk"])
def test_fnr_invalid(n):
    assert not fnr_ok(n)


def test_kontonr_and_kid():
    assert kontonr_ok("70213997155") and not kontonr_ok("70213997156")
    assert kid_ok("6487719756") and kid_ok("12345674") and not kid_ok("6487719757") and not kid_ok("1")


def _item(**kw):
    base = {"trekkid": "1", "trekkpliktig": "310702641", "skyldner": "01818012337", "trekkstatus": "aktiv",
            "opprettet": "2025-08-09T15:00:00.00Z",
            "betalingsinformasjon": {"betalingsmottaker": "971648199"},
            "trekkstoerrelseForPeriode": [{"startdato": "2025-08-10", "sluttdato": "2025-08-31",
                                           "trekkprosent": {"trekkprosent": 17.0}},
                                          {"startdato": "2025-09-01", "trekkbeloep": {"trekkbeloep": 0}}]}
    base.update(kw)
    return base


def test_data_rules_accept_a_good_item_and_the_documented_payee():
    assert identifier_problems(_item()) == [] and period_problems(_item()) == []


def test_data_rules_name_each_problem_without_personal_numbers():
    bad = _item(skyldner="10108412345", trekkpliktig="123456789", trekkstatus="avsluttet",
                trekkstoerrelseForPeriode=[{"startdato": "2025-08-10", "trekkprosent": {"trekkprosent": 117.0},
                                            "trekkbeloep": {"trekkbeloep": 1}},
                                           {"startdato": "2025-08-05", "trekkprosent": {"trekkprosent": 1.0}}])
    problems = identifier_problems(bad) + period_problems(bad)
    text = " ".join(p.render("en") for p in problems)
    for fragment in ("trekkpliktig", "skyldner", "exactly one", "outside 0..100", "open-ended but is not the last",
                     "avsluttet"):
        assert fragment in text
    norsk = " ".join(p.render("nb") for p in problems)
    for fragment in ("nøyaktig én av", "utenfor 0..100", "åpen, men ikke den siste"):
        assert fragment in norsk
    assert "10108412345" not in text + norsk


def test_kid_series_agrees_with_python_stdnum():
    import random

    from stdnum import luhn

    from conformance.identifiers import KidSeries

    rng = random.Random(5)
    for prefix_length in range(0, 12):
        for width in range(1, 9):
            prefix = "".join(rng.choice("0123456789") for _ in range(prefix_length))
            series = KidSeries(prefix, width)
            for number in {0, 10**width - 1, *(rng.randrange(10**width) for _ in range(20))}:
                body = f"{prefix}{number:0{width}d}"
                assert series(number) == body + luhn.calc_check_digit(body) and kid_ok(series(number))
    with pytest.raises(ValueError):
        KidSeries("31", 3)(1000)


def test_first_fnr_is_the_first_valid_individnummer():
    from conformance.identifiers import first_fnr

    for day, month, year in ((1, 81, 80), (31, 12, 99), (41, 82, 80), (15, 88, 99)):
        date6 = f"{day:02d}{month:02d}{year:02d}"
        for start in (0, 137, 480):
            expected = next((f"{date6}{i:03d}{k1}{k2}" for i in range(start, 500) for k1 in range(10)
                             for k2 in range(10) if fnr_ok(f"{date6}{i:03d}{k1}{k2}", allow_2032=False)), None)
            assert first_fnr(day, month, year, start) == expected
    assert first_fnr(1, 81, 80, 499, 499) is None


def test_weighted_sums_equal_the_sum_of_the_digits_times_the_weights():
    import random

    from conformance.identifiers import _K1_W, _K2_W, _wsum

    rng = random.Random(7)
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 12)))
        for weights in (_K1_W, _K2_W):
            assert _wsum(weights, digits) == sum(w * int(d) for w, d in zip(weights, digits, strict=False))
    arabic = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0661"  # other digits: as int() reads them
    assert _wsum(_K2_W, arabic) == sum(w * int(d) for w, d in zip(_K2_W, arabic, strict=False))
