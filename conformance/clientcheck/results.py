"""Client-check results in the same model, files and report as the API checks (the profile's client catalogue).

Outcomes go through :mod:`conformance.assemble` like the plugin's, so the same rules hold: a requirement
judged on no traffic at all is not passed, a scenario cut short by Ctrl-C is ``not_run``.
"""

from __future__ import annotations

import datetime as dt
import platform
import urllib.parse
import uuid
from pathlib import Path

from conformance import __version__
from conformance.assemble import Outcome, RunContext, aggregate, build, check_result
from conformance.catalogue import load_client_catalogue
from conformance.clientcheck.runner import ScenarioRun
from conformance.clientcheck.scenarios import CLIENT, ORG, Scenario, Setting
from conformance.evidence import REDACTED, Exchange, Redactor
from conformance.messages import Message
from conformance.outputs import WriteReport, write_run
from conformance.results import RunResult

PREFIXES = ("SBS-",)
SECRET_QUERY = frozenset({"authcode"})  # Altinn 2: the consent's authorization code fetches consent tokens


def exchanges_of(run: ScenarioRun, nodeid: str, first_seq: int) -> list[Exchange]:
    """The recorded traffic of a scenario as evidence exchanges (no bodies: the mock's own data)."""
    out = []
    parts = urllib.parse.urlsplit(run.base_url or "")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""  # the recorded path is the whole path
    for n, t in enumerate(run.traffic):
        query = "&".join(f"{k}={REDACTED if k.lower() in SECRET_QUERY else v}" for k, v in t.get("query", {}).items())
        note = t.get("grant") or {k: t[k] for k in ("count", "max_seq", "injected") if k in t}
        out.append(Exchange(seq=first_seq + n, check=nodeid, method=t["method"],
                            url=f"{origin}{t['path']}{'?' + query if query else ''}", request_headers={},
                            request_body="", status=t.get("status"), response_headers={},
                            response_body=str(note), elapsed_ms=(t["end"] - t["start"]) * 1000, started=t["start"],
                            kind=t.get("kind", "other"), attempt=1))
    return out


def _describe(scenario: Scenario) -> Message:
    return Message(f"cc.scenario.{scenario.name}")


def build_result(runs: list[ScenarioRun], lang: str, command: list[str], started: dt.datetime, *,
                 interrupted: ScenarioRun | None = None, not_started: tuple[Scenario, ...] = (),
                 signal_name: str | None = None, run_id: str | None = None, setting: Setting = CLIENT,
                 api: str = "trekkpaalegg") -> tuple[RunResult, list[Exchange], dict[str, str]]:
    from conformance.profiles import get

    profile = get(api)
    catalogue = load_client_catalogue(api)
    prefixes = (f"{profile.client_prefix}-",)
    judges = profile.clientcheck.JUDGES
    checks, links, exchanges = [], {}, []
    for run in runs:
        evidence_id = f"{run.scenario.name}::traffic"
        scenario_exchanges = exchanges_of(run, evidence_id, len(exchanges) + 1)
        exchanges += scenario_exchanges
        polls = [Message("cc.poll_exit", {"poll": p.number, "code": p.exit_code}) for p in run.polls]
        for req, (status, message) in judges.judge(run).items():
            nodeid = f"{run.scenario.name}::{req}"
            links[nodeid] = evidence_id
            outcome = Outcome(nodeid, f"{run.scenario.name}: {req}", [req], status, message,
                              steps=[_describe(run.scenario), *polls], exchanges=[e.summary() for e in
                                                                                  scenario_exchanges[:200]],
                              exchange_count=len(scenario_exchanges), calls=len(run.traffic), finished=True)
            checks.append(check_result(outcome, catalogue, lang, prefixes))
    cut_short = [(interrupted.scenario, Message("cc.scenario_interrupted"))] if interrupted is not None else []
    for scenario, reason in [*cut_short, *((s, Message("cc.scenario_not_run")) for s in not_started)]:
        for req in scenario.requirements_for(setting):
            checks.append(check_result(Outcome(f"{scenario.name}::{req}", f"{scenario.name}: {req}", [req],
                                               "not_run", reason, steps=[_describe(scenario)], finished=True),
                                       catalogue, lang, prefixes))
    requirements = aggregate(catalogue, checks, lang, "systemuser" if setting.systemuser else "mock",
                             not_selected=Message("cc.no_scenario_selected"),
                             not_applicable=Message("cc.systemuser_only"))
    first = runs[0] if runs else interrupted
    from conformance.spec import load_spec

    spec = load_spec(profile=profile).identity()
    ctx = RunContext(
        run_id=run_id or uuid.uuid4().hex[:8], started=started, lang=lang, tool_version=__version__,
        target={"kind": "client", "api": api, "embedded_mock": True, "base_url": first.base_url if first else None,
                "token_url": first.token_url if first else None, "issuer": first.issuer if first else None,
                "org": ORG, "systemuser_org": setting.customer, "command": command,
                "scenarios": [r.scenario.name for r in runs] + ([interrupted.scenario.name] if interrupted else [])},
        spec=spec, profile=api, profiles=[api], specs={api: spec},
        environment={"python": platform.python_version(), "platform": platform.platform(), "seed": 1},
        settings={"command": command, "scenarios": [r.scenario.name for r in runs],
                  "systemuser": setting.customer})
    interruption = Message("run.stopped_signal", {"signal": "Ctrl-C, SIGINT" if signal_name == "SIGINT"
                                                  else "SIGTERM"}) if signal_name else None
    return build(ctx, catalogue, checks, interruption=interruption, interruption_kind=signal_name,
                 requirements=requirements), exchanges, links


def write_client_report(runs: list[ScenarioRun], out: Path, lang: str, command: list[str], started: dt.datetime,
                        pdf: bool = True, **partial: object) -> tuple[RunResult, WriteReport]:
    """Build and write the report; ``partial`` (interrupted, not_started, signal_name, run_id) describes a run
    that was stopped before every scenario ended."""
    result, exchanges, links = build_result(runs, lang, command, started, **partial)  # type: ignore[arg-type]
    # The evidence of each scenario is its traffic; every check of that scenario links to it.
    report = write_run(result, out, exchanges, redactor=Redactor(), pdf=pdf, links=links)
    return result, report


__all__ = ["build_result", "write_client_report"]
