"""The judge: what the client did (recorded traffic, exit codes, state files) against each SBS requirement."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from conformance import API_BASE_PATH
from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.clientcheck.scenarios import EXTERNAL_REF
from conformance.messages import Message

Verdict = tuple[str, Message | None]  # (status, message)
PASS: Verdict = ("passed", None)


def _fail(message_id: str, **params: Any) -> Verdict:
    return "failed", Message(message_id, params)


def _skip(message_id: str, **params: Any) -> Verdict:
    return "skipped", Message(message_id, params)
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


def _state_problem(poll: Poll) -> Message | None:
    """Why the poll's outcome cannot be right: exit code, missing or unreadable state."""
    if poll.exit_known and poll.exit_code != 0:
        return Message("cc.exit_code", {"poll": poll.number, "code": poll.exit_code,
                                         "output": poll.output.strip()[-300:]})
    if poll.state_error:
        return Message("cc.poll_problem", {"poll": poll.number, "problem": poll.state_error})
    return None


def _sync_problem(poll: Poll) -> Message | None:
    """Why the poll did not end in the true state: its outcome, or a state that differs from the truth."""
    return _state_problem(poll) or _state_mismatch(poll)


def auth_01(run: ScenarioRun) -> Verdict:
    grants = _grants(run)
    if not grants:
        return _fail("cc.no_token")
    bad = [g for g in grants if not g.get("grant", {}).get("ok")]
    if bad:
        g = bad[0]["grant"]
        return _fail("cc.grant_refused", refused=len(bad), total=len(grants), rule=g.get("rule"),
                     error=g.get("error"), mp_code=g.get("mp_code") or "", description=g.get("description"))
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
                return _fail("cc.grant_too_soon", poll=poll.number, gap=f"{gap:.2f}", lifetime=f"{lifetime:.0f}",
                             grants=len(grants))
    return PASS


def auth_03(run: ScenarioRun) -> Verdict:
    poll = run.polls[-1]
    unauthorised = [t for t in _api(run) if t["status"] == 401]
    if not unauthorised:
        return _skip("cc.no_expiry")
    first = unauthorised[0]["start"]
    renewed = [g for g in _grants(run) if g["start"] > first and g.get("grant", {}).get("ok")]
    if not renewed:
        return _fail("cc.no_new_token")
    problem = _sync_problem(poll)
    return _fail("cc.renewed_not_synced", problem=problem) if problem else PASS


def page_01(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        calls = _lists(run, poll.number)
        if not calls:
            return _fail("cc.no_list_call", poll=poll.number)
        no_maks = [c for c in calls if "maksAntall" not in c["query"]]
        if no_maks:
            return _fail("cc.no_maks", poll=poll.number, query=_query(no_maks[0]["query"]))
        pages = [c for c in calls if c["status"] == 200]
        for prev, nxt in itertools.pairwise(pages):
            if prev["count"] < int(prev["query"]["maksAntall"]):
                return _fail("cc.after_short_page", poll=poll.number, query=_query(prev["query"]))
            if str(prev["max_seq"]) != nxt["query"].get("fraSekvensnummer"):
                return _fail("cc.wrong_next_fra", poll=poll.number, highest=prev["max_seq"],
                             fra=nxt["query"].get("fraSekvensnummer"))
        if pages and pages[-1]["count"] >= int(pages[-1]["query"]["maksAntall"]) and poll.exit_code == 0:
            return _fail("cc.stopped_full_page", poll=poll.number, count=pages[-1]["count"])
    return PASS


def page_02(run: ScenarioRun) -> Verdict:
    for t in _lists(run):
        if ("fraSekvensnummer" in t["query"]) != ("maksAntall" in t["query"]):
            return _fail("cc.one_paging_param", poll=t["poll"], query=_query(t["query"]))
    return PASS


def page_03(run: ScenarioRun) -> Verdict:
    first = run.polls[0]
    for poll in run.polls[1:]:
        calls = _lists(run, poll.number)
        if not calls:
            return _fail("cc.no_list_call", poll=poll.number)
        fra = calls[0]["query"].get("fraSekvensnummer")
        expected = str((first.state or {}).get("watermark", first.truth_watermark))
        if fra != expected:
            return _fail("cc.not_from_watermark", poll=poll.number, fra=fra, watermark=expected)
    return PASS


def _state_mismatch(poll: Poll) -> Message | None:
    held = {str(t.get("trekkid")): t.get("trekkversjon") for t in (poll.state or {}).get("trekkpaalegg", [])}
    missing = sorted(set(poll.truth) - set(held))
    extra = sorted(set(held) - set(poll.truth))
    stale = sorted(t for t in set(held) & set(poll.truth) if held[t] != poll.truth[t])
    if missing or extra or stale:
        parts = ([Message("cc.state_missing", {"count": len(missing), "example": missing[0]})] if missing else []) + \
                ([Message("cc.state_extra", {"count": len(extra), "example": extra[0]})] if extra else []) + \
                ([Message("cc.state_stale", {"count": len(stale), "example": stale[0], "held": held[stale[0]],
                                             "truth": poll.truth[stale[0]]})] if stale else [])
        return Message("cc.state_differs", {"poll": poll.number, "parts": parts})
    return None


def state_01(run: ScenarioRun) -> Verdict:
    if not _judged(run):
        return _skip("cc.no_state_given")
    for poll in _judged(run):
        problem = _sync_problem(poll)
        if problem:
            return "failed", problem
    return PASS


def state_02(run: ScenarioRun) -> Verdict:
    if not _judged(run):
        return _skip("cc.no_state_given")
    for poll in _judged(run):
        problem = _state_problem(poll)
        if problem:
            return "failed", problem
        watermark = (poll.state or {}).get("watermark")
        if watermark != poll.truth_watermark:
            return _fail("cc.watermark", poll=poll.number, got=watermark, truth=poll.truth_watermark)
    return PASS


def err_01(run: ScenarioRun) -> Verdict:
    calls = _api(run)
    injected = [i for i, t in enumerate(calls) if t.get("injected")]
    if not injected:
        return _skip("cc.no_transient")
    for i in injected:
        error = calls[i]
        if i + 1 >= len(calls):
            return _fail("cc.no_retry", status=error["injected"], path=error["path"])
        retry = calls[i + 1]
        wait = retry["start"] - error["end"]
        retry_after = 1.0 if error["injected"] == 429 else 0.0
        if error["injected"] == 429 and wait < retry_after - RETRY_AFTER_SLACK:
            return _fail("cc.retry_after_ignored", wait=f"{wait:.2f}")
        if wait < MIN_BACKOFF:
            return _fail("cc.no_backoff", ms=f"{wait * 1000:.0f}", status=error["injected"])
    streak = longest = 0
    for t in calls:
        streak = streak + 1 if t["status"] in (429, 500, 502, 503, 504) else 0
        longest = max(longest, streak)
    if longest > MAX_RETRIES:
        return _fail("cc.unbounded_retries", count=longest)
    problem = _sync_problem(run.polls[-1])
    return _fail("cc.retried_not_synced", problem=problem) if problem else PASS


def err_02(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        calls = _api(run, poll.number)
        if len(calls) > 3:
            return _fail("cc.calls_after_403", poll=poll.number, calls=len(calls))
        if not poll.exit_known:
            continue  # polled by hand: the exit code cannot be observed, the call count can
        if poll.exit_code == 0:
            return _fail("cc.exit_0_after_403", poll=poll.number)
        if poll.exit_code is None:
            return _fail("cc.did_not_stop", poll=poll.number, output=poll.output[-200:])
    return PASS


def rob_01(run: ScenarioRun) -> Verdict:
    poll = run.polls[-1]
    if not _judged(run):
        return _skip("cc.no_state_given")
    problem = _sync_problem(poll)
    return _fail("cc.unknown_fields_broke", problem=problem) if problem else PASS


def ops_01(run: ScenarioRun) -> Verdict:
    events = sorted([(t["start"], 1) for t in _api(run)] + [(t["end"], -1) for t in _api(run)])
    now = peak = 0
    for _, delta in events:
        now += delta
        peak = max(peak, now)
    return _fail("cc.too_concurrent", peak=peak) if peak > 5 else PASS


PENDING_GRANTS = 3  # grants a client may send after MP-303 (one try, and a retry or two) before it must stop
APPROVAL_WORDS = ("mp-303", "invalid_altinn_customer_configuration", "approv", "godkj")


def _grant_systemuser(t: dict[str, Any]) -> tuple[str | None, str | None]:
    """(systemuser_org, externalRef) a grant asked for, whether it was accepted or not."""
    g = t.get("grant", {})
    return g.get("systemuser_org"), g.get("external_ref")


def _every_grant_asks(run: ScenarioRun, part: int, wanted: str | None, message_id: str, none_id: str,
                      **params: Any) -> Verdict | None:
    """A failure when a grant did not ask for ``wanted`` as its system-user ``part`` (0 org, 1 externalRef)."""
    grants = _grants(run)
    if not grants:
        return _fail("cc.no_token")
    wrong = [g for g in grants if _grant_systemuser(g)[part] != wanted]
    if not wrong:
        return None
    got = _grant_systemuser(wrong[0])[part]
    return _fail(message_id, count=len(wrong), total=len(grants), got=got if got else Message(none_id), **params)


def su_01(run: ScenarioRun) -> Verdict:
    customer = run.setting.customer
    return _every_grant_asks(run, 0, customer, "cc.grant_without_systemuser", "cc.no_systemuser_in_grant",
                             customer=customer) or PASS


def su_02(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        grants = _grants(run, poll.number)
        if not grants:
            return _fail("cc.pending_no_grant")
        if len(grants) > PENDING_GRANTS:
            return _fail("cc.pending_grants", count=len(grants), limit=PENDING_GRANTS)
        if not poll.exit_known:
            continue
        if poll.exit_code is None:
            return _fail("cc.pending_did_not_stop", output=poll.output[-200:])
        if poll.exit_code == 0:
            return _fail("cc.pending_exit_0")
        if not any(word in poll.output.lower() for word in APPROVAL_WORDS):
            return _fail("cc.pending_not_named", code=poll.exit_code, output=poll.output.strip()[-200:] or "-")
    return PASS


def su_03(run: ScenarioRun) -> Verdict:
    wrong = _every_grant_asks(run, 1, EXTERNAL_REF, "cc.external_ref_wrong", "cc.external_ref_none",
                              expected=EXTERNAL_REF)
    if wrong:
        return wrong
    problem = _sync_problem(run.polls[-1])
    return ("failed", problem) if problem else PASS


JUDGES: dict[str, Callable[[ScenarioRun], Verdict]] = {
    "SBS-AUTH-01": auth_01, "SBS-AUTH-02": auth_02, "SBS-AUTH-03": auth_03, "SBS-PAGE-01": page_01,
    "SBS-PAGE-02": page_02, "SBS-PAGE-03": page_03, "SBS-STATE-01": state_01, "SBS-STATE-02": state_02,
    "SBS-ERR-01": err_01, "SBS-ERR-02": err_02, "SBS-ROB-01": rob_01, "SBS-OPS-01": ops_01,
    "SBS-SU-01": su_01, "SBS-SU-02": su_02, "SBS-SU-03": su_03,
}


def _query(query: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items()) or "-"


def judge(run: ScenarioRun) -> dict[str, Verdict]:
    return {req: JUDGES[req](run) for req in run.scenario.requirements_for(run.setting)}
