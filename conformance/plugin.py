"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures, and result collection.

It loads in every pytest run of an environment where sbs-conformance is installed, so it stays quiet
unless requirement-tagged checks are collected, and heavy imports happen inside fixtures and hooks.

Fixtures for vendors' own checks: ``maskinporten_token``, ``trekkpaalegg_client``, ``openapi_schema``,
``evidence``, ``check`` (to record warnings and steps), ``sbs_session`` (the whole target session).
Tag a check with ``@pytest.mark.requirement("ID")`` to have it in the report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import platform
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.errors import ConformanceToolError, TargetEnvironmentError
from conformance.settings import OPTIONS, Settings, argument_kwargs, resolve

PLUGIN_NAME = "sbs-conformance-run"
#: Settings resolved by the CLI, handed to the plugin through the pytest config.
SETTINGS_KEY = pytest.StashKey[Settings]()
CATALOGUE_PREFIXES = ("TP-", "SBS-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sbs-conformance", "Trekkpålegg API conformance (sbs-conformance)")
    group.addoption("--sbs-config", dest="sbs_config", default=None, help="TOML file with sbs-conformance settings")
    for o in OPTIONS:
        group.addoption("--sbs-" + o.name.replace("_", "-"), dest="sbs_" + o.name, help=o.help, **argument_kwargs(o))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement ids this check verifies (sbs-conformance)")
    config.addinivalue_line("markers", "sbs_last: run after the other checks (sbs-conformance)")
    if not hasattr(config, "workerinput") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(ConformanceRun(config), PLUGIN_NAME)


def settings_from_config(config: pytest.Config) -> Settings:
    cli = {o.name: config.getoption("sbs_" + o.name) for o in OPTIONS}
    cfg = config.getoption("sbs_config")
    return resolve(cli, config=Path(cfg) if cfg else None)


@dataclass
class CheckRecorder:
    """Given to a check as the ``check`` fixture: warnings and steps for the report."""

    warnings: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def step(self, message: str) -> None:
        self.steps.append(message)


@dataclass
class _Outcome:
    nodeid: str
    name: str
    requirements: list[str]
    status: str = "passed"
    message: str = ""
    duration: float = 0.0
    error_kind: str | None = None


def _message(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, str, str | None]:
    """(status, message, error kind) for an exception raised by a check or its fixtures."""
    exc = excinfo.value
    if isinstance(exc, ConformanceToolError):
        kind = "environment" if isinstance(exc, TargetEnvironmentError) else "config"
        return "error", exc.one_line(), kind
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "assertion failed"
        return "failed", text, None
    from conformance.api import ApiError, UnexpectedBody

    if isinstance(exc, ApiError | UnexpectedBody):
        return "failed", str(exc), None
    return "error", f"{type(exc).__name__}: {exc}".strip(), "tool"


class ConformanceRun:
    """Collects outcomes of requirement-tagged checks and writes the run's outputs at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, _Outcome] = {}
        self.recorders: dict[str, CheckRecorder] = {}
        self.session: Any = None  # TargetSession, created by the sbs_session fixture
        self.settings: Settings | None = None
        self.started = dt.datetime.now(dt.UTC)
        self.run_id = uuid.uuid4().hex[:8]
        self.result: Any = None
        self.output_dir: Path | None = None
        self.written: Any = None  # outputs.WriteReport: PDF outcome and leak-scan findings
        self.interrupted = False

    # -- collection ------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        last = [i for i in items if i.get_closest_marker("sbs_last")]
        if last:
            items[:] = [i for i in items if i not in last] + last

    @property
    def active(self) -> bool:
        return bool(self.outcomes)

    # -- per check ---------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        ids = [i for m in item.iter_markers("requirement") for i in m.args]
        if ids:
            self.outcomes[item.nodeid] = _Outcome(item.nodeid, item.name, ids)
        evidence = self.session.evidence if self.session else None
        if evidence is not None:
            evidence.current = item.nodeid
        yield
        if self.session is not None:
            self.session.evidence.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
        report = (yield).get_result()
        outcome = self.outcomes.get(item.nodeid)
        if outcome is None:
            return
        outcome.duration += call.duration
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome.status, outcome.message = "skipped", reason.removeprefix("Skipped: ")
        elif report.failed and call.excinfo is not None:
            status, message, kind = _message(call.excinfo)
            if report.when != "call":
                status = "error"
                kind = kind or "tool"
            if outcome.status not in ("failed", "error"):
                outcome.status, outcome.message, outcome.error_kind = status, message, kind

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    # -- end of session ----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.active:
            return
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.interrupted = True
        try:
            self.result = self.build_result()
            self.output_dir = self.write_outputs(self.result)
        finally:
            if self.session is not None:
                self.session.close()

    def build_result(self) -> Any:
        from conformance.requirements import load_catalogue
        from conformance.results import CheckResult, RunResult, aggregate, verdict

        settings = self.settings or Settings()
        catalogue = load_catalogue()
        evidence = self.session.evidence if self.session else None
        checks = []
        for o in self.outcomes.values():
            rec = self.recorders.get(o.nodeid, CheckRecorder())
            status, message = o.status, o.message
            unknown = [r for r in o.requirements if r.startswith(CATALOGUE_PREFIXES) and catalogue.get(r) is None]
            if unknown:
                status, message = "error", f"unknown requirement id(s) {', '.join(unknown)}"
            severities = {catalogue.get(r).severity for r in o.requirements if catalogue.get(r)}
            if status == "failed" and severities and "required" not in severities:
                status = "warning"
            if status == "passed" and rec.warnings:
                status, message = "warning", rec.warnings[0]
            exchanges = [e.summary() for e in evidence.for_check(o.nodeid)] if evidence else []
            checks.append(CheckResult(o.nodeid, o.name, o.requirements, status, message, round(o.duration, 3),
                                      rec.warnings, rec.steps, exchanges, o.error_kind))
        kind = settings.target
        merged_from: list[str] = []
        if settings.rerun_failed:  # carry over what was not re-run, marked with its run id
            from conformance.results import read_json

            previous = read_json(settings.rerun_failed / "results.json")
            rerun = {c.nodeid for c in checks}
            for old in previous.checks:
                if old.nodeid not in rerun:
                    old.run_id = old.run_id or previous.run_id
                    checks.append(old)
            merged_from = [previous.run_id, *previous.merged_from]
        requirements = aggregate(catalogue, checks, settings.lang, kind)
        waivers: list[dict[str, Any]] = []
        if settings.waivers:
            from conformance.waivers import apply_waivers, load_waivers

            known = {r.id for r in requirements}
            waivers = apply_waivers(requirements, load_waivers(settings.waivers, known), dt.date.today())
        run_error = None
        env_errors = [c for c in checks if c.error_kind in ("environment", "config") and not c.run_id]
        if env_errors:
            first = env_errors[0]
            run_error = {"kind": first.error_kind or "tool", "message": first.message}
        spec: dict[str, str] = {}
        if self.session is not None:
            try:
                spec = self.session.spec.identity()
            except ConformanceToolError as exc:
                spec = {"error": exc.one_line()}
        result = RunResult(
            run_id=self.run_id,
            started=self.started.isoformat(timespec="seconds"),
            finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            verdict=verdict(requirements, self.interrupted, run_error is not None),
            lang=settings.lang,
            tool_version=__version__,
            target={"kind": kind, "embedded_mock": settings.embedded_mock, "base_url": settings.base_url,
                    "token_url": settings.token_url, "issuer": settings.issuer, "org": settings.org,
                    "empty_org": settings.empty_org, "authentication": settings.auth_alternative,
                    "credential": settings.credential_kind, "client_id": settings.client_id,
                    "mock_faults": list(settings.mock_fault)},
            spec=spec,
            requirements=requirements,
            checks=checks,
            environment=_environment(self.config, settings),
            error=run_error,
            meta=dict(settings.report),
            settings=settings.redacted(),
            waivers=waivers,
            merged_from=merged_from,
        )
        if settings.baseline:
            from conformance.diff import diff_results
            from conformance.results import read_json

            result.baseline = diff_results(read_json(settings.baseline / "results.json"), result)
        return result

    def write_outputs(self, result: Any) -> Path:
        from conformance.evidence import Redactor
        from conformance.outputs import inputs_digests, write_run
        from conformance.requirements import load_catalogue

        settings = self.settings or Settings()
        out = settings.out or Path("reports") / f"{self.started.strftime('%Y%m%dT%H%M%SZ')}-{self.run_id}"
        evidence = self.session.evidence if self.session else None
        spec_text = None
        if self.session is not None:
            with contextlib.suppress(ConformanceToolError):
                spec_text = self.session.spec.text
        self.written = write_run(
            result, out, evidence.exchanges if evidence else [], redactor=evidence.redactor if evidence else Redactor(),
            pseudonymise=not settings.no_pseudonymise, pdf=not settings.no_pdf, sign_key=settings.sign_key,
            inputs=inputs_digests(spec_text, load_catalogue().text, settings.config),
            carry_from=settings.rerun_failed)
        return out

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is None or SETTINGS_KEY in self.config.stash:  # the CLI prints its own summary
            return
        r = self.result
        counts = ", ".join(f"{n} {s}" for s, n in r.counts.items() if n)
        terminalreporter.write_sep("=", f"sbs-conformance: {r.verdict.upper()} ({counts})")
        if self.output_dir:
            terminalreporter.write_line(f"report: {self.output_dir / 'report.html'}")


# -- fixtures -----------------------------------------------------------------------------------------

def _run(config: pytest.Config) -> ConformanceRun:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(plugin, ConformanceRun)
    return plugin


@pytest.fixture(scope="session")
def sbs_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The target session (embedded mock or real target), shared by all checks."""
    from conformance.session import TargetSession

    run = _run(request.config)
    if run.session is None:
        preset = request.config.stash.get(SETTINGS_KEY, None)
        try:
            run.settings = preset or settings_from_config(request.config)
        except ConformanceToolError as exc:
            raise pytest.UsageError(exc.one_line()) from exc
        run.session = TargetSession.start(run.settings)
        run.settings = run.session.settings
        # The check whose setup started the session (the latest one) makes the first calls.
        run.session.evidence.current = next(reversed(run.outcomes), None)
    yield run.session


@pytest.fixture(scope="session")
def evidence(sbs_session: Any) -> Any:
    """The run's :class:`conformance.evidence.Evidence`: every exchange, redacted."""
    return sbs_session.evidence


@pytest.fixture(scope="session")
def maskinporten_token(sbs_session: Any) -> Any:
    """The :class:`conformance.maskinporten.Token` for the configured scope and organisation."""
    return sbs_session.token()


@pytest.fixture(scope="session")
def trekkpaalegg_client(sbs_session: Any, maskinporten_token: Any) -> Any:
    """A :class:`conformance.api.TrekkpaaleggClient` with the run's token and evidence recording."""
    return sbs_session.client


@pytest.fixture(scope="session")
def openapi_schema(sbs_session: Any) -> Any:
    """The :class:`conformance.spec.Spec` in use (bundled or ``--spec``)."""
    return sbs_session.spec


@pytest.fixture
def check(request: pytest.FixtureRequest) -> CheckRecorder:
    """Record warnings (``check.warn``) and steps (``check.step``) for the report."""
    recorder = CheckRecorder()
    _run(request.config).recorders[request.node.nodeid] = recorder
    return recorder


@pytest.fixture
def liste(sbs_session: Any, maskinporten_token: Any) -> list[dict[str, Any]]:
    """The unpaged list of the organisation; data checks skip when it is empty."""
    items = sbs_session.liste()
    if not items:
        pytest.skip(f"no test data yet for organisation {sbs_session.settings.org} (ask Skatteetaten to create "
                    "test trekkpålegg)")
    return items


PACKAGES = ("sbs-conformance", "pytest", "httpx", "pyjwt", "cryptography", "jsonschema", "schemathesis", "hypothesis",
            "jinja2", "starlette", "uvicorn", "pyyaml", "python-stdnum", "weasyprint")


def _environment(config: pytest.Config, settings: Settings) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": versions,
            "seed": 1 if settings.embedded_mock else None,
            "options": [str(a) for a in config.invocation_params.args if not str(a).startswith("-W")]}
