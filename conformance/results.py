"""RunResult: the one model of a run. Every output (results.json, junit.xml, report.html) renders from it,
so a report can be re-rendered from ``results.json`` alone.

Verdict rule (also printed in the report and the README): the run **passes** only if no requirement of
severity ``required`` failed or errored. A tool or environment problem that stops the run is ``error``;
Ctrl-C is ``interrupted``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.requirements import Catalogue

FORMAT = "sbs-conformance/results/1"
STATUSES = ("passed", "failed", "warning", "waived", "skipped", "error", "not_run")
VERDICTS = ("passed", "failed", "error", "interrupted")
VERDICT_RULE_EN = ("The run passes only if no requirement of severity 'required' failed or ended in error. "
                   "Recommended requirements that are not met give warnings; informational ones never fail.")
VERDICT_RULE_NB = ("Kjøringen er bestått bare hvis ingen krav med alvorlighet «required» feilet eller endte i feil. "
                   "Anbefalte krav som ikke er oppfylt gir advarsler; informative krav feiler aldri.")

# When several checks name one requirement, the worst status wins, in this order.
_WORST_FIRST = ("error", "failed", "warning", "passed", "skipped", "not_run")


@dataclass
class CheckResult:
    nodeid: str
    name: str
    requirements: list[str]
    status: str
    message: str = ""
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    error_kind: str | None = None  # "config" or "environment" for status error
    evidence: str | None = None  # relative path of the check's HAR file
    run_id: str | None = None  # set when the result was carried over from an earlier run


@dataclass
class RequirementResult:
    id: str
    title: str
    severity: str
    source: str
    status: str
    checks: list[str]
    reason: str = ""
    hint: str = ""
    waiver: dict[str, str] | None = None


@dataclass
class RunResult:
    run_id: str
    started: str
    finished: str
    verdict: str
    lang: str
    tool_version: str
    target: dict[str, Any]
    spec: dict[str, str]
    requirements: list[RequirementResult]
    checks: list[CheckResult]
    environment: dict[str, Any] = field(default_factory=dict)
    error: dict[str, str] | None = None  # the cause and hint of a run that could not complete
    meta: dict[str, str] = field(default_factory=dict)  # [report] keys: vendor, system, contact, ...
    settings: dict[str, Any] = field(default_factory=dict)  # the configuration used, redacted
    waivers: list[dict[str, Any]] = field(default_factory=list)  # every waiver and what became of it
    merged_from: list[str] = field(default_factory=list)  # run ids whose results were carried over
    baseline: dict[str, Any] | None = None  # changes against a baseline run
    format: str = FORMAT

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.requirements)
        return {s: c.get(s, 0) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["counts"] = self.counts
        out["verdict_rule"] = VERDICT_RULE_EN
        return {"format": out.pop("format"), **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document (format {data.get('format')!r})")
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["requirements"] = [RequirementResult(**r) for r in data["requirements"]]
        fields["checks"] = [CheckResult(**c) for c in data["checks"]]
        return cls(**fields)


def requirement_status(checks: list[CheckResult]) -> str:
    if not checks:
        return "not_run"
    statuses = {c.status for c in checks}
    return next(s for s in _WORST_FIRST if s in statuses)


def aggregate(catalogue: Catalogue, checks: list[CheckResult], lang: str, target_kind: str) -> list[RequirementResult]:
    """One entry per catalogue requirement, in catalogue order, including those that did not run."""
    out = []
    for req in catalogue.requirements:
        own = [c for c in checks if req.id in c.requirements]
        status = requirement_status(own)
        if status == "failed" and req.severity != "required":
            status = "warning"
        reason = ""
        if status == "not_run":
            reason = ("not applicable to this target" if target_kind not in req.applies_to
                      else "no check was selected for this requirement")
        elif status == "skipped":
            reason = "; ".join(sorted({c.message for c in own if c.message}))
        out.append(RequirementResult(req.id, req.title(lang), req.severity, req.source, status,
                                     [c.nodeid for c in own], reason, req.hint(lang)))
    # A vendor's own requirement ids (not in the catalogue) are listed after it, as required ones.
    for extra in dict.fromkeys(i for c in checks for i in c.requirements if catalogue.get(i) is None):
        own = [c for c in checks if extra in c.requirements]
        out.append(RequirementResult(extra, own[0].name, "required", "", requirement_status(own),
                                     [c.nodeid for c in own]))
    return out


def verdict(requirements: list[RequirementResult], interrupted: bool = False, run_error: bool = False) -> str:
    if interrupted:
        return "interrupted"
    required = [r for r in requirements if r.severity == "required"]
    if any(r.status == "failed" for r in required):
        return "failed"
    if run_error or any(r.status == "error" for r in required):
        return "error"
    return "passed"


def write_json(result: RunResult, path: Path) -> None:
    path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> RunResult:
    return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))


def write_junit(result: RunResult, path: Path) -> None:
    """JUnit XML: one testcase per check, grouped in one testsuite; warnings appear as system-out."""
    by_status = Counter(c.status for c in result.checks)
    suite = ET.Element("testsuite", {
        "name": "sbs-conformance", "tests": str(len(result.checks)),
        "failures": str(by_status["failed"]), "errors": str(by_status["error"]),
        "skipped": str(by_status["skipped"]), "time": f"{sum(c.duration for c in result.checks):.3f}",
        "timestamp": result.started,
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", result.verdict), ("run_id", result.run_id),
                        ("target", str(result.target.get("kind"))), ("spec_sha256", result.spec.get("sha256", ""))):
        ET.SubElement(props, "property", {"name": name, "value": value})
    for check in result.checks:
        module, _, name = check.nodeid.partition("::")
        case = ET.SubElement(suite, "testcase", {
            "classname": module.replace("/", ".").removesuffix(".py"), "name": name or check.name,
            "time": f"{check.duration:.3f}"})
        if check.status == "failed":
            ET.SubElement(case, "failure", {"message": check.message[:500]}).text = check.message
        elif check.status == "error":
            ET.SubElement(case, "error", {"message": check.message[:500]}).text = check.message
        elif check.status in ("skipped", "not_run"):
            ET.SubElement(case, "skipped", {"message": check.message[:500]})
        text = [f"requirements: {', '.join(check.requirements)}", *(f"warning: {w}" for w in check.warnings)]
        if check.status == "warning":
            text.append(f"warning: {check.message}")
        ET.SubElement(case, "system-out").text = "\n".join(text)
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
