"""Identifiers in the open claims and payments: party, KID, account numbers, IBAN (python-stdnum)."""

from __future__ import annotations

from typing import Any

import pytest
from stdnum import iban

from conformance.identifiers import fnr_ok, kid_ok, kontonr_ok, orgnr_ok
from conformance.messages import Message
from conformance.outcomes import expect
from conformance.profiles.kravogbetalinger.answers import body_of

CHECKS = {"partIdentifikator": lambda v: orgnr_ok(v) or fnr_ok(v), "kidnummer": kid_ok,
          "kontonummer": lambda v: "*" in v or kontonr_ok(v), "iban": iban.is_valid}


def identifiers(value: Any, where: str = "$"):
    """(path, key, value) of every identifier in a body."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CHECKS and isinstance(item, str):
                yield f"{where}.{key}", key, item
            else:
                yield from identifiers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from identifiers(item, f"{where}[]")


@pytest.mark.requirement("KOB-DATA-01")
def test_identifiers_are_valid(sbs_session, token, check):
    body = body_of(sbs_session, "aapnekrav")
    found = list(identifiers(body))
    invalid = [Message("kob.data_invalid", {"field": where, "got": value}) for where, key, value in found
               if not CHECKS[key](value)]
    check.step("kob.data_checked", count=len(found))
    expect(not invalid, "kob.data_invalid_list", problems=invalid[:4], count=len(invalid))
