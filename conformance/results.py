"""RunResult: the one model of a run. Every output (results.json, junit.xml, report.html) renders from it,
so a report can be re-rendered from ``results.json`` alone, in either language.

Verdict rule (also printed in the report and the README), first match wins:

1. ``interrupted``: the run was stopped (Ctrl-C, SIGTERM) before every check ended;
2. ``failed``: a requirement of severity ``required`` failed;
3. ``error``: a required requirement ended in error, or the run could not complete (tool, configuration or
   environment problem);
4. ``incomplete``: nothing required failed, but a required requirement was not run (not selected, deadline,
   its check made no call); a documented ``skipped`` (with its reason, e.g. no test data yet) is not this;
5. ``passed``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.messages import Message

FORMAT = "sbs-conformance/results/2"  # /2: which API(s) were judged (profile, profiles, specs, api per requirement)
READABLE = ("sbs-conformance/results/1", FORMAT)  # /1 was always the Trekkpålegg API
STATUSES = ("passed", "failed", "warning", "waived", "skipped", "error", "not_run")
VERDICTS = ("passed", "failed", "error", "incomplete", "interrupted")
VERDICT_RULE = Message("run.verdict_rule")

# When several checks name one requirement, the worst status wins, in this order: a requirement with a check
# that did not run is not shown as passed.
_WORST_FIRST = ("error", "failed", "warning", "not_run", "passed", "skipped")


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
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # summaries (at most the listed ones)
    error_kind: str | None = None  # "config", "environment" or "tool" for status error
    evidence: str | None = None  # relative path of the check's HAR file
    run_id: str | None = None  # set when the result was carried over from an earlier run
    exchange_count: int | None = None  # every exchange the check made (None: as many as listed)
    message_ref: dict[str, Any] | None = None  # the message by id, to render it in another language
    step_refs: list[dict[str, Any]] = field(default_factory=list)
    warning_refs: list[dict[str, Any]] = field(default_factory=list)

    def localise(self, lang: str) -> None:
        """Render message, steps and warnings in ``lang`` from their refs (free text stays as it is)."""
        if self.message_ref:
            self.message = Message.from_ref(self.message_ref).render(lang)
        if self.step_refs:
            self.steps = [Message.from_ref(r).render(lang) for r in self.step_refs]
        if self.warning_refs:
            self.warnings = [Message.from_ref(r).render(lang) for r in self.warning_refs]


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
    source_title: str = ""
    reason_ref: dict[str, Any] | None = None
    applicable: bool = True  # False: the requirement cannot be judged on this kind of run; the verdict ignores it
    api: str = ""  # the profile (API) the requirement belongs to, for a report over several APIs


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
    interruption: dict[str, Any] | None = None  # why the run stopped early: signal or deadline, and when
    profile: str = "trekkpaalegg"  # what --api named: one profile, or "all"
    profiles: list[str] = field(default_factory=lambda: ["trekkpaalegg"])  # the APIs judged, in report order
    specs: dict[str, dict[str, str]] = field(default_factory=dict)  # API -> identity of its OpenAPI document
    assumptions: list[dict[str, Any]] = field(default_factory=list)  # the register: value used, what was seen
    format: str = FORMAT

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.requirements)
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def not_run_required(self) -> list[RequirementResult]:
        return [r for r in self.requirements if r.status == "not_run" and r.severity == "required" and r.applicable]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["counts"] = self.counts
        out["verdict_rule"] = VERDICT_RULE.render("en")
        return {"format": out.pop("format"), **out}

    @property
    def client(self) -> bool:
        """A client-check result (judged by the profiles' client catalogues)."""
        return self.target.get("kind") == "client"

    def catalogue(self) -> Any:
        """The catalogue this result was judged by (its profiles' API or client requirements)."""
        from conformance.catalogue import catalogue_of

        return catalogue_of(self.profiles, client=self.client)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        if data.get("format") not in READABLE:
            raise ValueError(f"not a {FORMAT} document (format {data.get('format')!r})")
        data = {**data, "format": FORMAT}
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["requirements"] = [RequirementResult(**r) for r in data["requirements"]]
        fields["checks"] = [CheckResult(**c) for c in data["checks"]]
        return cls(**fields)


def requirement_status(checks: list[CheckResult]) -> str:
    if not checks:
        return "not_run"
    statuses = {c.status for c in checks}
    return next(s for s in _WORST_FIRST if s in statuses)


def verdict(requirements: list[RequirementResult], interrupted: bool = False, run_error: bool = False) -> str:
    if interrupted:
        return "interrupted"
    required = [r for r in requirements if r.severity == "required" and r.applicable]
    if any(r.status == "failed" for r in required):
        return "failed"
    if run_error or any(r.status == "error" for r in required):
        return "error"
    if any(r.status == "not_run" for r in required):
        return "incomplete"
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
        "skipped": str(by_status["skipped"] + by_status["not_run"]),
        "time": f"{sum(c.duration for c in result.checks):.3f}", "timestamp": result.started,
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
