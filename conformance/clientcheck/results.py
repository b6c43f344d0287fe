"""Client-check results in the same model, files and report as the API checks (profile ``sbs``)."""

from __future__ import annotations

import datetime as dt
import platform
import uuid
from pathlib import Path

from conformance import __version__
from conformance.clientcheck.judge import judge
from conformance.clientcheck.runner import ScenarioRun
from conformance.evidence import Exchange, Redactor
from conformance.outputs import WriteReport, write_run
from conformance.requirements import load_catalogue
from conformance.results import CheckResult, RunResult, aggregate, verdict


def exchanges_of(run: ScenarioRun, nodeid: str, first_seq: int) -> list[Exchange]:
    """The recorded traffic of a scenario as evidence exchanges (no bodies: the mock's own data)."""
    out = []
    for n, t in enumerate(run.traffic):
        query = "&".join(f"{k}={v}" for k, v in t.get("query", {}).items())
        note = t.get("grant") or {k: t[k] for k in ("count", "max_seq", "injected") if k in t}
        out.append(Exchange(seq=first_seq + n, check=nodeid, method=t["method"],
                            url=f"{run.base_url}{t['path']}{'?' + query if query else ''}", request_headers={},
                            request_body="", status=t.get("status"), response_headers={},
                            response_body=str(note), elapsed_ms=(t["end"] - t["start"]) * 1000, started=t["start"],
                            kind=t.get("kind", "other"), attempt=1))
    return out


def build_result(runs: list[ScenarioRun], lang: str, command: list[str], started: dt.datetime
                 ) -> tuple[RunResult, list[Exchange], dict[str, str]]:
    checks: list[CheckResult] = []
    links: dict[str, str] = {}
    exchanges: list[Exchange] = []
    for run in runs:
        evidence_id = f"{run.scenario.name}::traffic"
        scenario_exchanges = exchanges_of(run, evidence_id, len(exchanges) + 1)
        exchanges += scenario_exchanges
        polls = ", ".join(f"poll {p.number}: exit {p.exit_code}" for p in run.polls)
        for req, (status, message) in judge(run).items():
            links[f"{run.scenario.name}::{req}"] = evidence_id
            checks.append(CheckResult(f"{run.scenario.name}::{req}", f"{run.scenario.name}: {req}", [req], status,
                                      message, steps=[run.scenario.description, polls],
                                      exchanges=[e.summary() for e in scenario_exchanges[:200]]))
    catalogue = load_catalogue("sbs")
    requirements = aggregate(catalogue, checks, lang, "mock")
    for r in requirements:
        if r.status == "not_run":
            r.reason = "no selected scenario judges this requirement"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result = RunResult(
        run_id=uuid.uuid4().hex[:8], started=started.isoformat(timespec="seconds"), finished=now,
        verdict=verdict(requirements), lang=lang, tool_version=__version__,
        target={"kind": "client", "embedded_mock": True, "base_url": runs[0].base_url if runs else None,
                "token_url": None, "issuer": None, "org": "310702641", "authentication": "client under test",
                "credential": "key (kid) and certificate chain (x5c) provided", "command": command,
                "scenarios": [r.scenario.name for r in runs]},
        spec={"title": "SBS client conformance", "version": "1", "sha256": ""},
        requirements=requirements, checks=checks,
        environment={"python": platform.python_version(), "platform": platform.platform(), "seed": 1},
        settings={"command": command, "scenarios": [r.scenario.name for r in runs]})
    return result, exchanges, links


def write_client_report(runs: list[ScenarioRun], out: Path, lang: str, command: list[str], started: dt.datetime,
                        pdf: bool = True) -> tuple[RunResult, WriteReport]:
    result, exchanges, links = build_result(runs, lang, command, started)
    # The evidence of each scenario is its traffic; every check of that scenario links to it.
    report = write_run(result, out, exchanges, redactor=Redactor(), pdf=pdf, links=links)
    return result, report
