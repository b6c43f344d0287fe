"""The fast paths give what the standard library gives: JSON bodies read by orjson only where it reads them alike."""

from __future__ import annotations

import json
import math

import pytest

from conformance.codecs import json_loads


@pytest.mark.parametrize("body", [
    b'[{"trekkid": "20000001", "sekvensnummer": 17, "beloep": 1500.5, "tekst": "\\u00e6\\u00f8\\u00e5", "x": null}]',
    b'{"big": 123456789012345678901234567890, "neg": -9223372036854775809}',  # beyond 64 bits: stays an int
    b'{"kid": "1234567890123456789012345", "n": 9223372036854775807}',
    b'[1e400, -0.0, 0.1, 1.0]',
    b'"\\ud800"',  # a lone surrogate: orjson refuses, the standard library reads it
    b'{"a": 1, "a": 2}',
])
def test_json_loads_reads_every_body_as_the_standard_library(body):
    assert repr(json_loads(body)) == repr(json.loads(body))


def test_json_loads_reads_nan_and_refuses_what_is_no_json():
    assert math.isnan(json_loads(b"NaN"))
    for bad in (b"{x", b"", b"[1, 2", b"<html>"):
        with pytest.raises(ValueError):
            json_loads(bad)
