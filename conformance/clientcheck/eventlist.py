"""Judges for a consumer of an event list (hendelseliste), for any profile with one: it starts from
``start?dato``, pages with the inclusive cursor (next = last + 1) and resumes from its watermark + 1, and calls
the lookup only for the identifiers the new events name. They read what the mock's list noted per call
(:mod:`conformance.mock.eventlist`: ``start``, ``count``, ``last_seq``, ``named``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.clientcheck.judge import PASS, Verdict, api_calls, fail
from conformance.clientcheck.runner import ScenarioRun


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def list_calls(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return sorted((t for t in api_calls(run, poll) if t["path"].rstrip("/").endswith("/hendelser")
                   and t["status"] == 200), key=lambda t: t["start"])


def starts_from_date(run: ScenarioRun, dato: str) -> Verdict:
    """The first poll asks ``start?dato`` for the date it was given and reads from the number it got."""
    first = run.polls[0].number if run.polls else 1
    starts = [t for t in api_calls(run, first) if t["path"].endswith("/hendelser/start")]
    if not starts:
        return fail("cc.hend.no_start")
    asked = (starts[0].get("query") or {}).get("dato")
    if asked != dato:
        return fail("cc.hend.start_other_date", asked=asked or "-", given=dato)
    pages = list_calls(run, first)
    if not pages:
        return fail("cc.hend.no_pages")
    fra = _int((pages[0].get("query") or {}).get("fraSekvensnummer"))
    if fra != starts[0].get("start"):
        return fail("cc.hend.start_not_used", start=starts[0].get("start"), fra=fra)
    return PASS


def inclusive_cursor(run: ScenarioRun) -> Verdict:
    """Every page starts at the previous page's last sequence number + 1, across polls too (the watermark + 1);
    after an empty page the same start is asked again."""
    expected: int | None = None
    for t in list_calls(run):
        fra = _int((t.get("query") or {}).get("fraSekvensnummer"))
        if expected is not None and fra != expected:
            kind = "cc.hend.reread" if fra is not None and fra < expected else "cc.hend.skipped"
            return fail(kind, fra=fra, expected=expected, poll=t["poll"])
        last = t.get("last_seq")
        expected = last + 1 if isinstance(last, int) else fra
    return PASS if list_calls(run) else fail("cc.hend.no_pages")


def lookups_only_for_new_events(run: ScenarioRun, key_of: Callable[[dict[str, Any]], str | None]) -> Verdict:
    """In each poll the lookup is called only for (identifier, period) pairs the events read in that poll name.
    ``key_of`` gives a lookup call's ``identifikator|periode`` (None: not a lookup)."""
    for poll in run.polls:
        named = {k for t in list_calls(run, poll.number) for k in t.get("named") or []}
        for t in api_calls(run, poll.number):
            key = key_of(t)
            if key is not None and key not in named:
                return fail("cc.hend.lookup_not_named", key=key, poll=poll.number)
    return PASS
