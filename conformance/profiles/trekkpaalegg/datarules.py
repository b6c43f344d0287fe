"""Business rules for trekkpålegg data (TP-DATA-01/02), as plain functions returning problems.

Sources: the "Feltforklaringer" table of the Trekkpålegg page and the identifier algorithms
(Brønnøysundregistrene, Folkeregisteret's 2032 rule). Each function returns readable problems; an empty
list means the item meets the rule. Messages (by id, in the report's language) name the trekkid and field,
never a personal number.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from typing import Any

from conformance.identifiers import fnr_ok, orgnr_ok
from conformance.messages import Message
from conformance.spec import SchemaProblem

#: Published values that fail their check digit but are what Skatteetaten documents (noted, not reported).
DOCUMENTED_PAYEE_ORGNR = frozenset({"971648199"})


def identifier_problems(item: dict[str, Any]) -> list[Message]:
    tid = item.get("trekkid")
    out = []
    if not orgnr_ok(str(item.get("trekkpliktig", ""))):
        out.append(Message("tp.data.bad_orgnr", {"trekkid": tid, "field": "trekkpliktig"}))
    payee = str((item.get("betalingsinformasjon") or {}).get("betalingsmottaker", ""))
    if not orgnr_ok(payee) and payee not in DOCUMENTED_PAYEE_ORGNR:
        out.append(Message("tp.data.bad_orgnr", {"trekkid": tid, "field": "betalingsmottaker"}))
    if not fnr_ok(str(item.get("skyldner", ""))):
        out.append(Message("tp.data.bad_fnr", {"trekkid": tid}))
    return out


def _date(value: Any) -> dt.date | None:
    """A date in the extended (2025-08-10) or the documented basic (20250810) ISO 8601 form; None otherwise."""
    if value is None:
        return None
    return _parsed_date(str(value))


@functools.lru_cache(maxsize=4096)  # a long list repeats the same few hundred dates in every item
def _parsed_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)  # both forms (Python 3.11)
    except ValueError:
        return None


_LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_BASIC_DATE = re.compile(r"^\d{8}$")


def tolerated(problem: SchemaProblem) -> Message | None:
    """A schema problem that is a documented variation, as the warning to give instead of a failure: opprettet
    in ISO 8601 without a zone (the docs describe it as an ISO 8601 date and time, not RFC 3339), and dates in the
    documented basic form YYYYMMDD."""
    if problem.keyword != "format" or not isinstance(problem.value, str):
        return None
    if problem.expected == "date-time" and _LOCAL_DATE_TIME.match(problem.value):
        with contextlib.suppress(ValueError):
            dt.datetime.fromisoformat(problem.value)
            return Message("tp.list.local_time", {"field": problem.field, "value": problem.value})
    if problem.expected == "date" and _BASIC_DATE.match(problem.value) and _date(problem.value) is not None:
        return Message("tp.list.basic_date", {"field": problem.field, "value": problem.value})
    return None


def period_problems(item: dict[str, Any]) -> list[Message]:
    tid = item.get("trekkid")
    periods = item.get("trekkstoerrelseForPeriode") or []
    out = []
    previous_end: dt.date | None = None
    for n, p in enumerate(periods, start=1):
        has_amount, has_percent = p.get("trekkbeloep") is not None, p.get("trekkprosent") is not None
        if has_amount == has_percent:
            out.append(Message("tp.data.one_of", {"trekkid": tid, "n": n}))
        if has_percent:
            value = (p.get("trekkprosent") or {}).get("trekkprosent")
            if not isinstance(value, int | float) or not 0 <= value <= 100:
                out.append(Message("tp.data.percent", {"trekkid": tid, "n": n, "value": repr(value)}))
        start, end = _date(p.get("startdato")), _date(p.get("sluttdato"))
        if start is None:
            out.append(Message("tp.data.no_start", {"trekkid": tid, "n": n}))
            continue
        if end is not None and end < start:
            out.append(Message("tp.data.ends_before", {"trekkid": tid, "n": n}))
        if previous_end is not None and start <= previous_end:
            out.append(Message("tp.data.overlap", {"trekkid": tid, "n": n, "previous": n - 1}))
        if end is None and n < len(periods):
            out.append(Message("tp.data.open_not_last", {"trekkid": tid, "n": n}))
        previous_end = end
    if periods:
        last_end = _date(periods[-1].get("sluttdato"))
        status = item.get("trekkstatus")
        created = _date(str(item.get("opprettet", ""))[:10])
        if status == "avsluttet" and last_end is None:
            out.append(Message("tp.data.ended_open", {"trekkid": tid}))
        if status == "aktiv" and last_end is not None and created is not None and last_end < created:
            out.append(Message("tp.data.active_past", {"trekkid": tid}))
    return out
