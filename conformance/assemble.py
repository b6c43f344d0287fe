"""From outcomes to the one RunResult, for ``run`` (the plugin) and ``client-check`` alike.

An :class:`Outcome` is what was observed of one check: its status and message, its steps and warnings, and
the calls it made or relied on. Assembly applies the rules that keep the report honest:

- a check that did not finish (interrupted, deadline) is ``not_run`` with that reason;
- a check that ``passed`` without making or relying on a single call judged nothing: ``not_run``;
- a failed check of a requirement that is not ``required`` is a ``warning``; so is a passed check that warned;
- a check naming an unknown catalogue id is an ``error``;
- every catalogue requirement is listed, in catalogue order, with the reason when it did not run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.catalogue import Catalogue
from conformance.messages import Message
from conformance.results import CheckResult, RequirementResult, RunResult, requirement_status, verdict


@dataclass
class Outcome:
    nodeid: str
    name: str
    requirements: list[str]
    status: str = "not_run"
    message: Message | None = None
    duration: float = 0.0
    error_kind: str | None = None
    steps: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    exchange_count: int = 0
    calls: int = 0  # exchanges the check made plus those it relied on (a cached token or list)
    finished: bool = False  # every phase of the check ran to its end


NOT_FINISHED = Message("run.not_finished")
NO_CALL = Message("run.no_call")


def check_result(o: Outcome, catalogue: Catalogue, lang: str, prefixes: Sequence[str],
                 unfinished: Message = NOT_FINISHED) -> CheckResult:
    status, message = o.status, o.message
    if not o.finished and status not in ("failed", "error"):  # stopped before its end: it showed nothing
        message = message if status == "not_run" and message is not None else unfinished
        status = "not_run"
    unknown = [r for r in o.requirements if r.startswith(tuple(prefixes)) and catalogue.get(r) is None]
    if unknown:
        status, message = "error", Message("run.unknown_requirement", {"ids": unknown})
    severities = {req.severity for r in o.requirements if (req := catalogue.get(r)) is not None}
    if status in ("passed", "warning") and o.calls == 0:
        status, message = "not_run", NO_CALL
    if status == "failed" and severities and "required" not in severities:
        status = "warning"
    if status == "passed" and o.warnings:
        status, message = "warning", o.warnings[0]
    return CheckResult(
        o.nodeid, o.name, list(o.requirements), status, message.render(lang) if message else "",
        round(o.duration, 3), [w.render(lang) for w in o.warnings], [s.render(lang) for s in o.steps],
        list(o.exchanges), o.error_kind, exchange_count=o.exchange_count,
        message_ref=message.ref() if message else None, step_refs=[s.ref() for s in o.steps],
        warning_refs=[w.ref() for w in o.warnings])


def status_of(severity: str, own: list[CheckResult]) -> str:
    """A requirement's status from its checks: the worst wins; a failure of a non-required one is a warning."""
    status = requirement_status(own)
    return "warning" if status == "failed" and severity != "required" else status


def aggregate(catalogue: Catalogue, checks: list[CheckResult], lang: str, target_kind: str,
              not_selected: Message | None = None, not_applicable: Message | None = None
              ) -> list[RequirementResult]:
    """One entry per catalogue requirement, in catalogue order, including those that did not run."""
    out = []
    for req in catalogue.requirements:
        own = [c for c in checks if req.id in c.requirements]
        status = status_of(req.severity, own)
        reason: Message | None = None
        applicable = target_kind in req.applies_to or bool(own)
        if status == "not_run":
            refs = [c.message_ref for c in own if c.status == "not_run" and c.message_ref]
            if refs:
                reason = Message.from_ref(refs[0])
            elif not applicable:
                reason = not_applicable or Message("run.not_applicable", {"target": target_kind})
            else:
                reason = not_selected or Message("run.not_selected")
        elif status == "skipped":
            reasons = [Message.from_ref(c.message_ref) if c.message_ref else Message.text(c.message)
                       for c in own if c.message or c.message_ref]
            texts = list({m.render("en"): m for m in reasons}.values())  # each distinct reason once
            reason = Message("run.list", {"items": texts}) if len(texts) > 1 else next(iter(texts), None)
        out.append(RequirementResult(req.id, req.title(lang), req.severity, req.source, status,
                                     [c.nodeid for c in own], reason.render(lang) if reason else "", req.hint(lang),
                                     source_title=req.source_title(lang), reason_ref=reason.ref() if reason else None,
                                     applicable=applicable, api=catalogue.profile_of(req.id) or ""))
    # A vendor's own requirement ids (not in the catalogue) are listed after it, as required ones.
    for extra in dict.fromkeys(i for c in checks for i in c.requirements if catalogue.get(i) is None):
        own = [c for c in checks if extra in c.requirements]
        out.append(RequirementResult(extra, own[0].name, "required", "", requirement_status(own),
                                     [c.nodeid for c in own]))
    return out


def run_error(checks: Iterable[CheckResult]) -> dict[str, str] | None:
    """The cause of a run that could not complete: the first configuration or environment error."""
    first = next((c for c in checks if c.error_kind in ("environment", "config") and not c.run_id), None)
    if first is None:
        return None
    return {"kind": first.error_kind or "tool", "message": first.message}


def localise(result: RunResult, lang: str, catalogue: Catalogue | None = None) -> None:
    """Render every text of a result in ``lang`` again: titles, hints, sources, reasons, check messages (the
    catalogue is the result's own by default: its profiles, API or client requirements)."""
    catalogue = catalogue or result.catalogue()
    result.lang = lang
    for r in result.requirements:
        req = catalogue.get(r.id)
        if req is not None:
            r.title, r.hint, r.source_title = req.title(lang), req.hint(lang), req.source_title(lang)
        if r.reason_ref:
            r.reason = Message.from_ref(r.reason_ref).render(lang)
    for c in result.checks:
        c.localise(lang)
    if result.assumptions:
        from conformance.assumptions import register_of

        register = register_of(result.profiles)
        for entry in result.assumptions:
            a = register.get(entry["id"])
            if a is not None:
                entry.update(title=a.title(lang), reason=a.reason(lang), meaning=a.meaning(entry["value"], lang))
    if result.interruption and result.interruption.get("message_ref"):
        result.interruption["message"] = Message.from_ref(result.interruption["message_ref"]).render(lang)


@dataclass
class RunContext:
    """What the run was, beside its checks: for the cover, the appendix and results.json."""

    run_id: str
    started: dt.datetime
    lang: str
    tool_version: str
    target: dict[str, Any]
    spec: dict[str, str]
    environment: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    profile: str = "trekkpaalegg"  # what --api named
    profiles: list[str] = field(default_factory=lambda: ["trekkpaalegg"])
    specs: dict[str, dict[str, str]] = field(default_factory=dict)


def build(ctx: RunContext, catalogue: Catalogue, checks: list[CheckResult], *, interruption: Message | None = None,
          interruption_kind: str | None = None, waivers: list[dict[str, Any]] | None = None,
          requirements: list[RequirementResult] | None = None, merged_from: list[str] | None = None) -> RunResult:
    """The RunResult (verdict included) of checks already turned into CheckResults."""
    requirements = requirements if requirements is not None else aggregate(
        catalogue, checks, ctx.lang, ctx.target.get("kind", "mock"))
    error = run_error(checks)
    stopped = None
    if interruption is not None:
        stopped = {"kind": interruption_kind or "interrupted", "message": interruption.render(ctx.lang),
                   "message_ref": interruption.ref(),
                   "not_run": [r.id for r in requirements if r.status == "not_run"]}
    return RunResult(
        run_id=ctx.run_id, started=ctx.started.isoformat(timespec="seconds"),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        verdict=verdict(requirements, interrupted=interruption_kind in ("SIGINT", "SIGTERM"),
                        run_error=error is not None),
        lang=ctx.lang, tool_version=ctx.tool_version, target=ctx.target, spec=ctx.spec, requirements=requirements,
        checks=checks, environment=ctx.environment, error=error, meta=ctx.meta, settings=ctx.settings,
        waivers=waivers or [], merged_from=merged_from or [], interruption=stopped, profile=ctx.profile,
        profiles=list(ctx.profiles), specs=dict(ctx.specs) or {ctx.profiles[0]: ctx.spec})
