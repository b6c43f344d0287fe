"""The Krav og betalinger client judges (KOB-SBS-*): totals shown as delivered, periods split into windows of at most
a year, "nothing in this period" handled as such, a new consent token after an expired one, on top of the
judgements every client check shares (:mod:`conformance.clientcheck.judge`). The state file is described in
:mod:`.scenarios`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, ClassVar

from conformance.clientcheck.judge import PASS, Judges, Verdict, api_calls, fail, synced
from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.messages import Message
from conformance.profiles.kravogbetalinger.rules import one_year_later, parse_date

PERIOD_ENDPOINTS = ("krav", "innbetalinger", "utbetalinger")


def _endpoint(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def mismatch(poll: Poll) -> Message | None:
    """How the client's state differs from the truth: the open claims and totals, the ids of each period list."""
    state = poll.state or {}
    for endpoint, want in poll.truth.items():
        got = state.get(endpoint)
        if endpoint == "aapnekrav":
            got = got if isinstance(got, dict) else {}
            if sorted(got.get("krav") or []) != want["krav"]:
                return Message("cc.kob.claims_differ", {"poll": poll.number, "got": len(got.get("krav") or []),
                                                        "want": len(want["krav"])})
            given = got.get("totalOversikt") if isinstance(got.get("totalOversikt"), dict) else {}
            wrong = [k for k, v in want["totalOversikt"].items() if given.get(k) != v]
            if wrong:
                field = wrong[0]
                return Message("cc.kob.totals_differ", {"poll": poll.number, "field": field, "got": given.get(field),
                                                        "want": want["totalOversikt"][field]})
        elif sorted(got or []) != want:
            return Message("cc.kob.items_differ", {"poll": poll.number, "endpoint": endpoint, "got": len(got or []),
                                                   "want": len(want)})
    return None


def _window(call: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    q = call.get("query") or {}
    return parse_date(q.get("fraOgMed")), parse_date(q.get("tilOgMed"))


def period_01(run: ScenarioRun) -> Verdict:
    calls = [t for t in api_calls(run) if _endpoint(t["path"]) in PERIOD_ENDPOINTS]
    refused = [t for t in calls if t["status"] == 400]
    if refused:
        q = refused[0].get("query") or {}
        return fail("cc.kob.period_400", fra=q.get("fraOgMed", "-"), til=q.get("tilOgMed", "-"))
    for t in calls:
        start, end = _window(t)
        if start is None or end is None or end > one_year_later(start):
            q = t.get("query") or {}
            return fail("cc.kob.window_too_long", fra=q.get("fraOgMed", "-"), til=q.get("tilOgMed", "-"))
    return synced(run, mismatch)


def nodata_01(run: ScenarioRun) -> Verdict:
    verdict = synced(run, mismatch)
    if verdict != PASS:
        return verdict
    asked = Counter((_endpoint(t["path"]), tuple((t.get("query") or {}).items())) for t in api_calls(run)
                    if t["status"] == 404)
    retried = [(k, n) for k, n in asked.items() if n > len(run.polls)]
    if retried:
        (endpoint, query), count = retried[0]
        return fail("cc.kob.no_data_retried", endpoint=endpoint, query=dict(query), calls=count)
    return PASS


def consent_01(run: ScenarioRun) -> Verdict:
    calls = sorted(api_calls(run), key=lambda t: t["start"])
    fetches = [t for t in run.traffic if t.get("kind") == "consent"]
    if not any(t.get("samtykke") for t in calls):
        return fail("cc.kob.no_consent_header")
    refused: set[str] = set()
    for t in calls:
        digest = t.get("samtykke")
        if digest in refused:
            return fail("cc.kob.same_consent_again", status=t["status"])
        if t["status"] == 403 and digest:
            refused.add(digest)
            later = [f for f in fetches if f["start"] > t["start"]]
            if not later and any(c["start"] > t["start"] for c in calls):
                return fail("cc.kob.no_new_consent")
    return synced(run, mismatch)


class KravOgBetalingerJudges(Judges):
    MAP: ClassVar[dict[str, Any]] = {
        "KOB-SBS-AUTH-01": "grants_valid", "KOB-SBS-AUTH-02": "tokens_reused", "KOB-SBS-AUTH-03": "renews_after_401",
        "KOB-SBS-AAPNE-01": "state_right",
        "KOB-SBS-PERIOD-01": period_01, "KOB-SBS-NODATA-01": nodata_01, "KOB-SBS-CONSENT-01": consent_01,
        "KOB-SBS-ROB-01": "tolerates_unknown_fields", "KOB-SBS-OPS-01": "max_five_concurrent",
    }

    def mismatch(self, poll: Poll) -> Message | None:
        return mismatch(poll)


JUDGES = KravOgBetalingerJudges()
