"""The Trekkpålegg client judges: paging by the loop rule, the watermark, the final state (SBS-* requirements),
on top of the judgements every client check shares (:mod:`conformance.clientcheck.judge`)."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from conformance.clientcheck.judge import PASS, Judges, Verdict, api_calls, fail, judged, skipped, state_problem
from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.messages import Message
from conformance.profiles.trekkpaalegg import LIST_PATH


def _lists(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in api_calls(run, poll) if t["path"].rstrip("/") == LIST_PATH]


def page_01(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        calls = _lists(run, poll.number)
        if not calls:
            return fail("cc.no_list_call", poll=poll.number)
        no_maks = [c for c in calls if "maksAntall" not in c["query"]]
        if no_maks:
            return fail("cc.no_maks", poll=poll.number, query=_query(no_maks[0]["query"]))
        pages = [c for c in calls if c["status"] == 200]
        for prev, nxt in itertools.pairwise(pages):
            if prev["count"] < int(prev["query"]["maksAntall"]):
                return fail("cc.after_short_page", poll=poll.number, query=_query(prev["query"]))
            if str(prev["max_seq"]) != nxt["query"].get("fraSekvensnummer"):
                return fail("cc.wrong_next_fra", poll=poll.number, highest=prev["max_seq"],
                             fra=nxt["query"].get("fraSekvensnummer"))
        if pages and pages[-1]["count"] >= int(pages[-1]["query"]["maksAntall"]) and poll.exit_code == 0:
            return fail("cc.stopped_full_page", poll=poll.number, count=pages[-1]["count"])
    return PASS


def page_02(run: ScenarioRun) -> Verdict:
    for t in _lists(run):
        if ("fraSekvensnummer" in t["query"]) != ("maksAntall" in t["query"]):
            return fail("cc.one_paging_param", poll=t["poll"], query=_query(t["query"]))
    return PASS


def page_03(run: ScenarioRun) -> Verdict:
    first = run.polls[0]
    for poll in run.polls[1:]:
        calls = _lists(run, poll.number)
        if not calls:
            return fail("cc.no_list_call", poll=poll.number)
        fra = calls[0]["query"].get("fraSekvensnummer")
        expected = str((first.state or {}).get("watermark", first.truth_watermark))
        if fra != expected:
            return fail("cc.not_from_watermark", poll=poll.number, fra=fra, watermark=expected)
    return PASS


def state_02(run: ScenarioRun) -> Verdict:
    if not judged(run):
        return skipped("cc.no_state_given")
    for poll in judged(run):
        problem = state_problem(poll)
        if problem:
            return "failed", problem
        watermark = (poll.state or {}).get("watermark")
        if watermark != poll.truth_watermark:
            return fail("cc.watermark", poll=poll.number, got=watermark, truth=poll.truth_watermark)
    return PASS


def _query(query: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items()) or "-"


class TrekkpaaleggJudges(Judges):
    MAP: ClassVar[dict[str, Any]] = {
        "SBS-AUTH-01": "grants_valid", "SBS-AUTH-02": "tokens_reused", "SBS-AUTH-03": "renews_after_401",
        "SBS-PAGE-01": page_01, "SBS-PAGE-02": page_02, "SBS-PAGE-03": page_03, "SBS-STATE-01": "state_right",
        "SBS-STATE-02": state_02, "SBS-ERR-01": "retries_transient", "SBS-ERR-02": "stops_on_refusal",
        "SBS-ROB-01": "tolerates_unknown_fields", "SBS-OPS-01": "max_five_concurrent",
        "SBS-SU-01": "asks_for_systemuser", "SBS-SU-02": "stops_when_not_approved", "SBS-SU-03": "names_external_ref",
    }

    def mismatch(self, poll: Poll) -> Message | None:
        held = {str(t.get("trekkid")): t.get("trekkversjon") for t in (poll.state or {}).get("trekkpaalegg", [])}
        missing = sorted(set(poll.truth) - set(held))
        extra = sorted(set(held) - set(poll.truth))
        stale = sorted(t for t in set(held) & set(poll.truth) if held[t] != poll.truth[t])
        if missing or extra or stale:
            parts = ([Message("cc.state_missing", {"count": len(missing), "example": missing[0]})]
                     if missing else []) + \
                    ([Message("cc.state_extra", {"count": len(extra), "example": extra[0]})] if extra else []) + \
                    ([Message("cc.state_stale", {"count": len(stale), "example": stale[0], "held": held[stale[0]],
                                                 "truth": poll.truth[stale[0]]})] if stale else [])
            return Message("cc.state_differs", {"poll": poll.number, "parts": parts})
        return None


JUDGES = TrekkpaaleggJudges()
