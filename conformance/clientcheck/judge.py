"""The judge: what the client did (recorded traffic, exit codes, state files) against each SBS requirement."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from conformance import API_BASE_PATH
from conformance.clientcheck.runner import Poll, ScenarioRun

Verdict = tuple[str, str]  # (status, message)
PASS: Verdict = ("passed", "")
MIN_BACKOFF = 0.05  # seconds: a retry sooner than this after a 503 is no backoff
RETRY_AFTER_SLACK = 0.1
MAX_RETRIES = 5


def _api(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in run.traffic if t.get("kind") == "api" and (poll is None or t["poll"] == poll)]


def _lists(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in _api(run, poll) if t["path"].rstrip("/") == API_BASE_PATH]


def _grants(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in run.traffic if t.get("kind") == "token" and (poll is None or t["poll"] == poll)]


def _judged(run: ScenarioRun) -> list[Poll]:
    """Polls whose outcome can be judged: all of them, or (recorded by hand) those with a state file."""
    return [p for p in run.polls if p.exit_known or p.state is not None or p.state_error]


def _state_problem(poll: Poll) -> str | None:
    """Why the poll's outcome cannot be right: exit code, missing or unreadable state."""
    if poll.exit_known and poll.exit_code != 0:
        return f"poll {poll.number}: the command exited with {poll.exit_code}: {poll.output.strip()[-300:]}"
    if poll.state_error:
        return f"poll {poll.number}: {poll.state_error}"
    return None


def _sync_problem(poll: Poll) -> str | None:
    """Why the poll did not end in the true state: its outcome, or a state that differs from the truth."""
    return _state_problem(poll) or _state_mismatch(poll)


def auth_01(run: ScenarioRun) -> Verdict:
    grants = _grants(run)
    if not grants:
        return "failed", "the client asked for no token"
    bad = [g for g in grants if not g.get("grant", {}).get("ok")]
    if bad:
        g = bad[0]["grant"]
        return "failed", (f"{len(bad)} of {len(grants)} grant(s) refused; rule broken: {g.get('rule')} "
                          f"({g.get('error')} {g.get('mp_code') or ''}: {g.get('description')})")
    return PASS


def auth_02(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        grants = [g for g in _grants(run, poll.number) if g.get("grant", {}).get("ok")]
        for before, after in itertools.pairwise(grants):
            lifetime = float(before["grant"].get("lifetime") or run.token_lifetime)
            got_401 = any(t["status"] == 401 and before["start"] < t["start"] < after["start"]
                          for t in _api(run, poll.number))
            gap = after["start"] - before["start"]
            if gap < lifetime / 2 and not got_401:
                return "failed", (f"poll {poll.number}: a new grant {gap:.2f} s after the previous one although "
                                  f"the token lives {lifetime:.0f} s and no 401 came ({len(grants)} grants)")
    return PASS


def auth_03(run: ScenarioRun) -> Verdict:
    poll = run.polls[-1]
    unauthorised = [t for t in _api(run) if t["status"] == 401]
    if not unauthorised:
        return "skipped", "no token expired during the sync"
    first = unauthorised[0]["start"]
    renewed = [g for g in _grants(run) if g["start"] > first and g.get("grant", {}).get("ok")]
    if not renewed:
        return "failed", "after the 401 the client asked for no new token"
    problem = _sync_problem(poll)
    return ("failed", f"new token, but the sync did not complete: {problem}") if problem else PASS


def page_01(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        calls = _lists(run, poll.number)
        if not calls:
            return "failed", f"poll {poll.number}: the client never called the list"
        no_maks = [c for c in calls if "maksAntall" not in c["query"]]
        if no_maks:
            return "failed", f"poll {poll.number}: list called without maksAntall ({no_maks[0]['query'] or 'no query'})"
        pages = [c for c in calls if c["status"] == 200]
        for prev, nxt in itertools.pairwise(pages):
            if prev["count"] < int(prev["query"]["maksAntall"]):
                return "failed", f"poll {poll.number}: asked again after a short page (from {prev['query']})"
            if str(prev["max_seq"]) != nxt["query"].get("fraSekvensnummer"):
                return "failed", (f"poll {poll.number}: after a page ending at sekvensnummer {prev['max_seq']} the "
                                  f"next call used fraSekvensnummer={nxt['query'].get('fraSekvensnummer')}")
        if pages and pages[-1]["count"] >= int(pages[-1]["query"]["maksAntall"]) and poll.exit_code == 0:
            return "failed", (f"poll {poll.number}: stopped after a full page of {pages[-1]['count']} "
                              f"(the loop continues until a short page)")
    return PASS


def page_02(run: ScenarioRun) -> Verdict:
    for t in _lists(run):
        if ("fraSekvensnummer" in t["query"]) != ("maksAntall" in t["query"]):
            return "failed", f"poll {t['poll']}: sent only one paging parameter: {t['query']}"
    return PASS


def page_03(run: ScenarioRun) -> Verdict:
    first = run.polls[0]
    for poll in run.polls[1:]:
        calls = _lists(run, poll.number)
        if not calls:
            return "failed", f"poll {poll.number}: no list call"
        fra = calls[0]["query"].get("fraSekvensnummer")
        expected = str((first.state or {}).get("watermark", first.truth_watermark))
        if fra != expected:
            return "failed", (f"poll {poll.number} started from fraSekvensnummer={fra}, not the stored watermark "
                              f"{expected}")
    return PASS


def _state_mismatch(poll: Poll) -> str | None:
    held = {str(t.get("trekkid")): t.get("trekkversjon") for t in (poll.state or {}).get("trekkpaalegg", [])}
    missing = sorted(set(poll.truth) - set(held))
    extra = sorted(set(held) - set(poll.truth))
    stale = sorted(t for t in set(held) & set(poll.truth) if held[t] != poll.truth[t])
    if missing or extra or stale:
        parts = [f"{len(missing)} missing (e.g. {missing[0]})" if missing else "",
                 f"{len(extra)} extra (e.g. {extra[0]})" if extra else "",
                 f"{len(stale)} at the wrong version (e.g. {stale[0]}: {held[stale[0]]} not {poll.truth[stale[0]]})"
                 if stale else ""]
        return f"poll {poll.number}: state has " + ", ".join(p for p in parts if p)
    return None


def state_01(run: ScenarioRun) -> Verdict:
    if not _judged(run):
        return "skipped", "no state file given (client-judge --state)"
    for poll in _judged(run):
        problem = _sync_problem(poll)
        if problem:
            return "failed", problem
    return PASS


def state_02(run: ScenarioRun) -> Verdict:
    if not _judged(run):
        return "skipped", "no state file given (client-judge --state)"
    for poll in _judged(run):
        problem = _state_problem(poll)
        if problem:
            return "failed", problem
        watermark = (poll.state or {}).get("watermark")
        if watermark != poll.truth_watermark:
            return "failed", f"poll {poll.number}: watermark {watermark}, the highest sekvensnummer delivered is " \
                             f"{poll.truth_watermark}"
    return PASS


def err_01(run: ScenarioRun) -> Verdict:
    calls = _api(run)
    injected = [i for i, t in enumerate(calls) if t.get("injected")]
    if not injected:
        return "skipped", "no transient error was served"
    for i in injected:
        error = calls[i]
        if i + 1 >= len(calls):
            return "failed", f"no retry after the injected {error['injected']} on {error['path']}"
        retry = calls[i + 1]
        wait = retry["start"] - error["end"]
        retry_after = 1.0 if error["injected"] == 429 else 0.0
        if error["injected"] == 429 and wait < retry_after - RETRY_AFTER_SLACK:
            return "failed", f"retried {wait:.2f} s after a 429 with Retry-After: 1"
        if wait < MIN_BACKOFF:
            return "failed", f"retried {wait * 1000:.0f} ms after a {error['injected']} (no backoff)"
    streak = longest = 0
    for t in calls:
        streak = streak + 1 if t["status"] in (429, 500, 502, 503, 504) else 0
        longest = max(longest, streak)
    if longest > MAX_RETRIES:
        return "failed", f"{longest} failing attempts in a row: retries are not bounded"
    problem = _sync_problem(run.polls[-1])
    return ("failed", f"retried, but the sync did not complete: {problem}") if problem else PASS


def err_02(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        calls = _api(run, poll.number)
        if len(calls) > 3:
            return "failed", f"poll {poll.number}: {len(calls)} API calls after 403 (at most 3)"
        if not poll.exit_known:
            continue  # polled by hand: the exit code cannot be observed, the call count can
        if poll.exit_code == 0:
            return "failed", f"poll {poll.number}: exit code 0 although every API call was refused with 403"
        if poll.exit_code is None:
            return "failed", f"poll {poll.number}: the command did not stop ({poll.output[-200:]})"
    return PASS


def rob_01(run: ScenarioRun) -> Verdict:
    poll = run.polls[-1]
    if not _judged(run):
        return "skipped", "no state file given (client-judge --state)"
    problem = _sync_problem(poll)
    return ("failed", f"with unknown fields and absent optional fields: {problem}") if problem else PASS


def ops_01(run: ScenarioRun) -> Verdict:
    events = sorted([(t["start"], 1) for t in _api(run)] + [(t["end"], -1) for t in _api(run)])
    now = peak = 0
    for _, delta in events:
        now += delta
        peak = max(peak, now)
    return ("failed", f"{peak} API calls were in flight at once (at most 5)") if peak > 5 else PASS


JUDGES: dict[str, Callable[[ScenarioRun], Verdict]] = {
    "SBS-AUTH-01": auth_01, "SBS-AUTH-02": auth_02, "SBS-AUTH-03": auth_03, "SBS-PAGE-01": page_01,
    "SBS-PAGE-02": page_02, "SBS-PAGE-03": page_03, "SBS-STATE-01": state_01, "SBS-STATE-02": state_02,
    "SBS-ERR-01": err_01, "SBS-ERR-02": err_02, "SBS-ROB-01": rob_01, "SBS-OPS-01": ops_01,
}


def judge(run: ScenarioRun) -> dict[str, Verdict]:
    return {req: JUDGES[req](run) for req in run.scenario.requirements}
