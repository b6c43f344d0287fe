"""The Trukket kildeskatt client judges (TKS-SBS-*): the months stored as delivered, "no data" handled as such,
the formats asked for, on top of the judgements every client check shares (:mod:`conformance.clientcheck.judge`).

The client's state file: ``{"oppslag": [{"personidentifikator": "...", "inntektsaar": 2021, "status": "data" |
"ingen_data", "maaneder": [{"maaned": "2021-01", "grunnlagForSkattetrekk": ..., "skattetrekk": ...,
"samletRapportertLoennsinntekt": ...}]}]}``."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from conformance.clientcheck.judge import PASS, Judges, Verdict, api_calls, fail, judged, state_problem, synced
from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.messages import Message

MONTH_FIELDS = ("maaned", "grunnlagForSkattetrekk", "skattetrekk", "samletRapportertLoennsinntekt")
SERVED = ("application/json", "application/xml")
NO_DATA = "ingen_data"


def held(poll: Poll) -> dict[str, dict[str, Any]]:
    """``person:year`` -> what the client reported for the lookup."""
    out = {}
    for entry in (poll.state or {}).get("oppslag", []):
        if isinstance(entry, dict):
            out[f"{entry.get('personidentifikator')}:{entry.get('inntektsaar')}"] = entry
    return out


def _months(entries: Any) -> list[tuple[Any, ...]]:
    return [tuple(m.get(f) for f in MONTH_FIELDS) for m in entries or [] if isinstance(m, dict)]


def data_mismatch(poll: Poll) -> Message | None:
    """The first lookup with data whose months the client did not store as delivered."""
    reported = held(poll)
    for key, months in poll.truth.items():
        if months is None:
            continue
        entry = reported.get(key)
        if entry is None:
            return Message("cc.tks.lookup_missing", {"poll": poll.number, "lookup": key})
        if entry.get("status") != "data" or _months(entry.get("maaneder")) != _months(months):
            got = _months(entry.get("maaneder"))
            return Message("cc.tks.months_differ", {"poll": poll.number, "lookup": key, "got": len(got),
                                                    "want": len(months), "status": entry.get("status")})
    return None


def nodata_mismatch(poll: Poll) -> Message | None:
    reported = held(poll)
    for key, months in poll.truth.items():
        if months is not None:
            continue
        entry = reported.get(key)
        if entry is None or entry.get("status") != NO_DATA:
            return Message("cc.tks.not_no_data", {"poll": poll.number, "lookup": key,
                                                  "status": (entry or {}).get("status", "-")})
    return None


def get_01(run: ScenarioRun) -> Verdict:
    return synced(run, data_mismatch)


def nodata_01(run: ScenarioRun) -> Verdict:
    no_data = [k for k, v in run.polls[0].truth.items() if v is None]
    for poll in judged(run):
        problem = state_problem(poll) or nodata_mismatch(poll)
        if problem:
            return "failed", problem
    calls = Counter(_lookup_of(t["path"]) for t in api_calls(run))
    retried = {k: calls[k] for k in no_data if calls[k] > len(run.polls) * 2}
    if retried:
        key, count = next(iter(retried.items()))
        return fail("cc.tks.no_data_retried", lookup=key, calls=count)
    return PASS


def fmt_01(run: ScenarioRun) -> Verdict:
    calls = api_calls(run)
    refused = [t for t in calls if t["status"] == 406]
    if refused:
        return fail("cc.tks.got_406", count=len(refused), accept=refused[0].get("accept") or "-")
    odd = [t for t in calls if t.get("accept") and not any(m in t["accept"] for m in (*SERVED, "*/*"))]
    if odd:
        return fail("cc.tks.odd_accept", accept=odd[0]["accept"])
    return PASS


def _lookup_of(path: str) -> str:
    parts = path.rstrip("/").split("/")
    return f"{parts[-1]}:{parts[-2]}" if len(parts) >= 2 else path


class TrukketKildeskattJudges(Judges):
    MAP: ClassVar[dict[str, Any]] = {
        "TKS-SBS-AUTH-01": "grants_valid", "TKS-SBS-AUTH-02": "tokens_reused", "TKS-SBS-AUTH-03": "renews_after_401",
        "TKS-SBS-GET-01": get_01,
        "TKS-SBS-NODATA-01": nodata_01, "TKS-SBS-ROB-01": "tolerates_unknown_fields", "TKS-SBS-FMT-01": fmt_01,
        "TKS-SBS-OPS-01": "max_five_concurrent",
    }

    def mismatch(self, poll: Poll) -> Message | None:
        return data_mismatch(poll) or nodata_mismatch(poll)


JUDGES = TrukketKildeskattJudges()
