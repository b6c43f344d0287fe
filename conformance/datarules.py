"""Business rules for trekkpålegg data (TP-DATA-01/02), as plain functions returning problems.

Sources: the "Feltforklaringer" table of the Trekkpålegg page and the identifier algorithms
(Brønnøysundregistrene, Folkeregisteret's 2032 rule). Each function returns readable problems; an empty
list means the item meets the rule. Messages (by id, in the report's language) name the trekkid and field,
never a personal number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance.identifiers import fnr_ok, orgnr_ok
from conformance.messages import Message

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
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def period_problems(item: dict[str, Any]) -> list[Message]:
    tid = item.get("trekkid")
    periods = item.get("trekkstoerrelseForPeriode") or []
    out = []
    previous_end: dt.date | None = None
    for n, p in enumerate(periods, start=1):
        has_amount, has_percent = "trekkbeloep" in p, "trekkprosent" in p
        if has_amount == has_percent:
            out.append(Message("tp.data.one_of", {"trekkid": tid, "n": n}))
        if has_percent:
            value = (p.get("trekkprosent") or {}).get("trekkprosent")
            if not isinstance(value, int | float) or not 0 <= value <= 100:
                out.append(Message("tp.data.percent", {"trekkid": tid, "n": n, "value": repr(value)}))
        start, end = _date(p.get("startdato")), _date(p.get("sluttdato")) if "sluttdato" in p else None
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
        last_end = _date(periods[-1].get("sluttdato")) if "sluttdato" in periods[-1] else None
        status = item.get("trekkstatus")
        created = _date(str(item.get("opprettet", ""))[:10])
        if status == "avsluttet" and last_end is None:
            out.append(Message("tp.data.ended_open", {"trekkid": tid}))
        if status == "aktiv" and last_end is not None and created is not None and last_end < created:
            out.append(Message("tp.data.active_past", {"trekkid": tid}))
    return out
