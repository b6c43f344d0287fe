"""Judging a client from what it did (recorded traffic, exit codes, state files): what every API's client check
shares. A profile's judges subclass :class:`Judges` with their own requirements and say how the client's state is
compared with the truth (:meth:`Judges.mismatch`); ``MAP`` names the method that judges each requirement id."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.clientcheck.scenarios import EXTERNAL_REF
from conformance.messages import Message

Verdict = tuple[str, Message | None]  # (status, message)
PASS: Verdict = ("passed", None)
MIN_BACKOFF = 0.05  # seconds: a retry sooner than this after a 503 is no backoff
RETRY_AFTER_SLACK = 0.1
MAX_RETRIES = 5
PENDING_GRANTS = 3  # grants a client may send after MP-303 (one try, and a retry or two) before it must stop
APPROVAL_WORDS = ("mp-303", "invalid_altinn_customer_configuration", "approv", "godkj")


def fail(message_id: str, **params: Any) -> Verdict:
    return "failed", Message(message_id, params)


def skipped(message_id: str, **params: Any) -> Verdict:
    return "skipped", Message(message_id, params)


def api_calls(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in run.traffic if t.get("kind") == "api" and (poll is None or t["poll"] == poll)]


def grants_of(run: ScenarioRun, poll: int | None = None) -> list[dict[str, Any]]:
    return [t for t in run.traffic if t.get("kind") == "token" and (poll is None or t["poll"] == poll)]


def judged(run: ScenarioRun) -> list[Poll]:
    """Polls whose outcome can be judged: all of them, or (recorded by hand) those with a state file."""
    return [p for p in run.polls if p.exit_known or p.state is not None or p.state_error]


def synced(run: ScenarioRun, mismatch: Callable[[Poll], Message | None]) -> Verdict:
    """Passed when every judged poll ended without a problem and in the true state (``mismatch`` says how the
    state differs from the truth)."""
    for poll in judged(run):
        problem = state_problem(poll) or mismatch(poll)
        if problem:
            return "failed", problem
    return PASS


def state_problem(poll: Poll) -> Message | None:
    """Why the poll's outcome cannot be right: exit code, missing or unreadable state."""
    if poll.exit_known and poll.exit_code != 0:
        return Message("cc.exit_code", {"poll": poll.number, "code": poll.exit_code,
                                         "output": poll.output.strip()[-300:]})
    if poll.state_error:
        return Message("cc.poll_problem", {"poll": poll.number, "problem": poll.state_error})
    return None


def _grant_systemuser(t: dict[str, Any]) -> tuple[str | None, str | None]:
    """(systemuser_org, externalRef) a grant asked for, whether it was accepted or not."""
    g = t.get("grant", {})
    return g.get("systemuser_org"), g.get("external_ref")


def every_grant_asks(run: ScenarioRun, part: int, wanted: str | None, message_id: str, none_id: str,
                      **params: Any) -> Verdict | None:
    """A failure when a grant did not ask for ``wanted`` as its system-user ``part`` (0 org, 1 externalRef)."""
    grants = grants_of(run)
    if not grants:
        return fail("cc.no_token")
    wrong = [g for g in grants if _grant_systemuser(g)[part] != wanted]
    if not wrong:
        return None
    got = _grant_systemuser(wrong[0])[part]
    return fail(message_id, count=len(wrong), total=len(grants), got=got if got else Message(none_id), **params)


class Judges:
    """The judgements every client check shares; a profile adds its own and :meth:`mismatch`."""

    MAP: Mapping[str, Any] = {}  # requirement id -> the method's name, or a function of the run

    def judge_one(self, req: str, run: ScenarioRun) -> Verdict:
        how = self.MAP[req]
        return getattr(self, how)(run) if isinstance(how, str) else how(run)

    def mismatch(self, poll: Poll) -> Message | None:
        """How the client's state after a poll differs from the truth (None: it does not)."""
        raise NotImplementedError

    def sync_problem(self, poll: Poll) -> Message | None:
        """Why the poll did not end in the true state: its outcome, or a state that differs from the truth."""
        return state_problem(poll) or self.mismatch(poll)

    def judge(self, run: ScenarioRun) -> dict[str, Verdict]:
        return {req: self.judge_one(req, run) for req in run.scenario.requirements_for(run.setting)}

    def grants_valid(self, run: ScenarioRun) -> Verdict:
        grants = grants_of(run)
        if not grants:
            return fail("cc.no_token")
        bad = [g for g in grants if not g.get("grant", {}).get("ok")]
        if bad:
            g = bad[0]["grant"]
            return fail("cc.grant_refused", refused=len(bad), total=len(grants), rule=g.get("rule"),
                         error=g.get("error"), mp_code=g.get("mp_code") or "", description=g.get("description"))
        return PASS

    def tokens_reused(self, run: ScenarioRun) -> Verdict:
        for poll in run.polls:
            grants = [g for g in grants_of(run, poll.number) if g.get("grant", {}).get("ok")]
            for before, after in itertools.pairwise(grants):
                lifetime = float(before["grant"].get("lifetime") or run.token_lifetime)
                got_401 = any(t["status"] == 401 and before["start"] < t["start"] < after["start"]
                              for t in api_calls(run, poll.number))
                gap = after["start"] - before["start"]
                if gap < lifetime / 2 and not got_401:
                    return fail("cc.grant_too_soon", poll=poll.number, gap=f"{gap:.2f}", lifetime=f"{lifetime:.0f}",
                                 grants=len(grants))
        return PASS

    def renews_after_401(self, run: ScenarioRun) -> Verdict:
        poll = run.polls[-1]
        unauthorised = [t for t in api_calls(run) if t["status"] == 401]
        if not unauthorised:
            return skipped("cc.no_expiry")
        first = unauthorised[0]["start"]
        renewed = [g for g in grants_of(run) if g["start"] > first and g.get("grant", {}).get("ok")]
        if not renewed:
            return fail("cc.no_new_token")
        problem = self.sync_problem(poll)
        return fail("cc.renewed_not_synced", problem=problem) if problem else PASS

    def retries_transient(self, run: ScenarioRun) -> Verdict:
        calls = api_calls(run)
        injected = [i for i, t in enumerate(calls) if t.get("injected")]
        if not injected:
            return skipped("cc.no_transient")
        for i in injected:
            error = calls[i]
            if i + 1 >= len(calls):
                return fail("cc.no_retry", status=error["injected"], path=error["path"])
            retry = calls[i + 1]
            wait = retry["start"] - error["end"]
            retry_after = 1.0 if error["injected"] == 429 else 0.0
            if error["injected"] == 429 and wait < retry_after - RETRY_AFTER_SLACK:
                return fail("cc.retry_after_ignored", wait=f"{wait:.2f}")
            if wait < MIN_BACKOFF:
                return fail("cc.no_backoff", ms=f"{wait * 1000:.0f}", status=error["injected"])
        streak = longest = 0
        for t in calls:
            streak = streak + 1 if t["status"] in (429, 500, 502, 503, 504) else 0
            longest = max(longest, streak)
        if longest > MAX_RETRIES:
            return fail("cc.unbounded_retries", count=longest)
        problem = self.sync_problem(run.polls[-1])
        return fail("cc.retried_not_synced", problem=problem) if problem else PASS

    def stops_on_refusal(self, run: ScenarioRun) -> Verdict:
        for poll in run.polls:
            calls = api_calls(run, poll.number)
            if len(calls) > 3:
                return fail("cc.calls_after_403", poll=poll.number, calls=len(calls))
            if not poll.exit_known:
                continue  # polled by hand: the exit code cannot be observed, the call count can
            if poll.exit_code == 0:
                return fail("cc.exit_0_after_403", poll=poll.number)
            if poll.exit_code is None:
                return fail("cc.did_not_stop", poll=poll.number, output=poll.output[-200:])
        return PASS

    def max_five_concurrent(self, run: ScenarioRun) -> Verdict:
        events = sorted([(t["start"], 1) for t in api_calls(run)] + [(t["end"], -1) for t in api_calls(run)])
        now = peak = 0
        for _, delta in events:
            now += delta
            peak = max(peak, now)
        return fail("cc.too_concurrent", peak=peak) if peak > 5 else PASS

    def asks_for_systemuser(self, run: ScenarioRun) -> Verdict:
        customer = run.setting.customer
        return every_grant_asks(run, 0, customer, "cc.grant_without_systemuser", "cc.no_systemuser_in_grant",
                                 customer=customer) or PASS

    def stops_when_not_approved(self, run: ScenarioRun) -> Verdict:
        for poll in run.polls:
            grants = grants_of(run, poll.number)
            if not grants:
                return fail("cc.pending_no_grant")
            if len(grants) > PENDING_GRANTS:
                return fail("cc.pending_grants", count=len(grants), limit=PENDING_GRANTS)
            if not poll.exit_known:
                continue
            if poll.exit_code is None:
                return fail("cc.pending_did_not_stop", output=poll.output[-200:])
            if poll.exit_code == 0:
                return fail("cc.pending_exit_0")
            if not any(word in poll.output.lower() for word in APPROVAL_WORDS):
                return fail("cc.pending_not_named", code=poll.exit_code, output=poll.output.strip()[-200:] or "-")
        return PASS

    def names_external_ref(self, run: ScenarioRun) -> Verdict:
        wrong = every_grant_asks(run, 1, EXTERNAL_REF, "cc.external_ref_wrong", "cc.external_ref_none",
                                  expected=EXTERNAL_REF)
        if wrong:
            return wrong
        problem = self.sync_problem(run.polls[-1])
        return ("failed", problem) if problem else PASS

    def state_right(self, run: ScenarioRun) -> Verdict:
        if not judged(run):
            return skipped("cc.no_state_given")
        for poll in judged(run):
            problem = self.sync_problem(poll)
            if problem:
                return "failed", problem
        return PASS

    def tolerates_unknown_fields(self, run: ScenarioRun) -> Verdict:
        poll = run.polls[-1]
        if not judged(run):
            return skipped("cc.no_state_given")
        problem = self.sync_problem(poll)
        return fail("cc.unknown_fields_broke", problem=problem) if problem else PASS
