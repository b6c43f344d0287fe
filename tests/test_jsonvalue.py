"""conformance.jsonvalue.loads gives the standard library's value, for bytes and for text."""

import json

import pytest

from conformance import jsonvalue

BODIES = {
    "beyond-64-bits": '[{"sekvensnummer": 123456789012345678901}]',  # orjson would give a float
    "past-both-ends-of-64-bits": "[-9223372036854775809, 18446744073709551616]",
    "wide-digits-in-a-string-only": '{"kidnummer": "12345678901234567890", "n": 1}',
    "nan-infinity": '{"trekkprosent": NaN, "x": -Infinity}',  # not JSON, but what json.loads reads
    "escaped-lone-surrogate": '["\\ud800", "\\udc00x"]',
    "plain": '[{"trekkid": "1", "trekkprosent": 12.5, "skyldner": "Ærlig Øre"}]',
    "big-float": "[1e400, 1.5e-400]",
}


@pytest.mark.parametrize("text", BODIES.values(), ids=BODIES.keys())
def test_same_value_as_the_standard_library_from_bytes_and_from_text(text):
    expected = repr(json.loads(text))  # repr: an int stays an int, NaN equals itself as text
    assert repr(jsonvalue.loads(text)) == expected
    assert repr(jsonvalue.loads(text.encode("utf-8"))) == expected
    assert repr(jsonvalue.loads(text.encode("utf-8"), wide=True)) == expected  # the caller saw a wide literal


def test_utf16_bytes_and_text_with_a_lone_surrogate_go_to_the_standard_library():
    data = '[{"melding": "Ugyldig forespørsel"}]'.encode("utf-16")
    assert jsonvalue.loads(data) == json.loads(data)
    text = '["a\ud800b"]'  # a str that is no UTF-8: orjson refuses it, the standard library keeps it
    assert jsonvalue.loads(text) == ["a\ud800b"]


@pytest.mark.parametrize("broken", ["[1, 2", "", "{'a': 1}", b"\xff["])
def test_what_is_not_json_is_a_value_error(broken):
    with pytest.raises(ValueError):
        jsonvalue.loads(broken)


@pytest.mark.parametrize(("text", "wide"), [
    ("1234567890123456789", True), ("123456789012345678", False), ('"x": 1234567890123456789}', True),
    ("12345678901234567,12345678901234567", False), ("-123456789012345678", False), ("٣" * 30, False),
    ('"\ud800" 1234567890123456789', True), ("", False)])
def test_a_run_of_wide_digits_is_found_in_bytes_and_in_text(text, wide):
    assert jsonvalue.may_be_wide(text) is wide
    assert jsonvalue.may_be_wide(text.encode("utf-8", "surrogatepass")) is wide
