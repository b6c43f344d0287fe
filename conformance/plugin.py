"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures, and result collection.

It loads in every pytest run of an environment where sbs-conformance is installed, so it stays quiet
unless requirement-tagged checks are collected, and heavy imports happen inside fixtures and hooks.

Two halves, so that it also works where checks run in other processes (pytest-xdist):

- where a check runs, :func:`pytest_runtest_makereport` turns its outcome into data (status, message by id,
  steps, warnings, the calls it made) and attaches it to the report's ``user_properties``;
- where reports arrive, :class:`ConformanceRun` collects them from ``pytest_runtest_logreport`` (public,
  serialised by xdist), prints progress per requirement, and writes the run's outputs at the end.

Fixtures for vendors' own checks: ``maskinporten_token``, ``trekkpaalegg_client``, ``openapi_schema``,
``evidence``, ``check`` (to record warnings and steps), ``sbs_session`` (the whole target session).
Tag a check with ``@pytest.mark.requirement("ID")`` to have it in the report.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import platform
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.errors import ConformanceToolError
from conformance.messages import Message, as_message
from conformance.settings import OPTIONS, Settings, argument_kwargs, resolve

PLUGIN_NAME = "sbs-conformance-run"
#: Settings resolved (and the run prepared) by the CLI, handed to the plugin through the pytest config.
SETTINGS_KEY = pytest.StashKey[Settings]()
PREPARED_KEY = pytest.StashKey[Any]()
CLI_KEY = pytest.StashKey[bool]()  # the CLI prints progress and the verdict itself: pytest stays silent
STATE_KEY = pytest.StashKey["_ProcessState"]()
CATALOGUE_PREFIXES = ("TP-", "SBS-")
USER_PROPERTY = "sbs"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sbs-conformance", "Trekkpålegg API conformance (sbs-conformance)")
    group.addoption("--sbs-config", dest="sbs_config", default=None, help="TOML file with sbs-conformance settings")
    for o in OPTIONS:
        group.addoption("--sbs-" + o.name.replace("_", "-"), dest="sbs_" + o.name, help=o.help, **argument_kwargs(o))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement ids this check verifies (sbs-conformance)")
    config.addinivalue_line("markers", "sbs_last: run after the other checks (sbs-conformance)")
    config.stash[STATE_KEY] = _ProcessState()
    if not hasattr(config, "workerinput") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(ConformanceRun(config), PLUGIN_NAME)


def settings_from_config(config: pytest.Config) -> Settings:
    cli = {o.name: config.getoption("sbs_" + o.name) for o in OPTIONS}
    cfg = config.getoption("sbs_config")
    return resolve(cli, config=Path(cfg) if cfg else None)


def _requirements(item: pytest.Item) -> list[str]:
    return [i for m in item.iter_markers("requirement") for i in m.args]


# -- where checks run ---------------------------------------------------------------------------------------


@dataclass
class CheckRecorder:
    """Given to a check as the ``check`` fixture: warnings and steps for the report, by message id or as text,
    and what it observed of the run's assumptions."""

    warnings: list[Message] = field(default_factory=list)
    steps: list[Message] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)

    def warn(self, message: str | Message, **params: Any) -> None:
        self.warnings.append(as_message(message, params))

    def step(self, message: str | Message, **params: Any) -> None:
        self.steps.append(as_message(message, params))

    def observe(self, assumption: str, held: bool, observed: Any) -> None:
        """Note what the target showed of an assumption (for the register in the report)."""
        self.observations.append({"id": assumption, "held": bool(held), "observed": str(observed)})

    def expect_assumed(self, assumption: str, condition: object, observed: Any, message_id: str,
                       **params: Any) -> None:
        """Like ``expect``, for what only an assumption says: a miss is a warning naming the assumption."""
        from conformance.outcomes import AssumptionNotMet

        self.observe(assumption, bool(condition), observed)
        if not condition:
            raise AssumptionNotMet(assumption, Message(message_id, params))


@dataclass
class _ProcessState:
    """What the process that runs checks holds: the prepared run, the target session, the recorders."""

    prepared: Any = None
    session: Any = None
    recorders: dict[str, CheckRecorder] = field(default_factory=dict)
    phase: dict[str, dict[str, Any]] = field(default_factory=dict)  # nodeid -> outcome data so far
    started: dict[str, float] = field(default_factory=dict)
    current: str | None = None  # the check being run (its calls are attributed to it)


def _state(config: pytest.Config) -> _ProcessState:
    return config.stash[STATE_KEY]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [i for i in items if i.get_closest_marker("sbs_last")]
    if last:
        items[:] = [i for i in items if i not in last] + last


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    state = _state(item.config)
    if _requirements(item):
        state.started[item.nodeid] = time.perf_counter()
    state.current = item.nodeid
    if state.session is not None:
        state.session.evidence.current = item.nodeid
    yield
    state.current = None
    if state.session is not None:
        state.session.evidence.current = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check that would start after the run's deadline is not run: the report still gets written in time."""
    session = _state(item.config).session
    if session is not None and _requirements(item):
        from conformance.errors import RunDeadlineReached

        try:
            session.limits.check_run_deadline()
        except RunDeadlineReached:
            from conformance.outcomes import CheckNotRun

            raise CheckNotRun(Message("run.deadline", {"seconds": f"{session.settings.deadline:g}"})) from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    report = (yield).get_result()
    ids = _requirements(item)
    if not ids:
        return
    from conformance.outcomes import classify

    state = _state(item.config)
    data = state.phase.setdefault(item.nodeid, {"status": "passed", "message": None, "error_kind": None})
    if report.failed or report.skipped:
        session = state.session
        deadline = session.settings.deadline if session is not None else None
        strict = session.settings.strict_assumptions if session is not None else False
        if call.excinfo is not None:
            status, message, kind = classify(call.excinfo.value, deadline, strict)
        else:  # e.g. an xfail; not used by the bundled checks
            status, message, kind = ("skipped" if report.skipped else "failed"), Message.text(
                str(report.longrepr)[:500]), None
        if report.when != "call" and status == "failed":
            status, kind = "error", kind or "tool"  # a fixture that fails is not the API failing a check
        if data["status"] not in ("failed", "error"):
            data.update(status=status, message=message.ref(), error_kind=kind)
    if report.when != "teardown":
        report.user_properties.append((USER_PROPERTY, {"when": report.when, "requirements": ids}))
        return
    # The last phase: everything the check produced travels with this report.
    rec = state.recorders.pop(item.nodeid, CheckRecorder())
    state.phase.pop(item.nodeid, None)
    evidence = state.session.evidence if state.session is not None else None
    made = evidence.count_for(item.nodeid) if evidence is not None else 0
    relied = evidence.relied_on(item.nodeid) if evidence is not None else 0
    report.user_properties.append((USER_PROPERTY, {
        "when": "teardown", "requirements": ids, "name": item.name, **data,
        "duration": time.perf_counter() - state.started.pop(item.nodeid, time.perf_counter()),
        "steps": [s.ref() for s in rec.steps], "warnings": [w.ref() for w in rec.warnings],
        "observations": rec.observations,
        "exchanges": evidence.for_check(item.nodeid) if evidence is not None else [],
        "exchange_count": made, "calls": made + relied, "finished": True}))


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Driven by the CLI, pytest prints no dots: the CLI prints one line per requirement instead."""
    if config.stash.get(CLI_KEY, False):
        return report.outcome, "", ""
    return None


# -- where reports arrive ---------------------------------------------------------------------------------


class ConformanceRun:
    """Collects outcomes of requirement-tagged checks and writes the run's outputs at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, Any] = {}  # nodeid -> assemble.Outcome
        self.selected: dict[str, list[str]] = {}  # nodeid -> requirement ids, in run order
        self.result: Any = None
        self.output_dir: Path | None = None
        self.written: Any = None  # outputs.WriteReport: PDF outcome and leak-scan findings
        self.interrupted: str | None = None  # "SIGINT" or "SIGTERM"
        self.progress: Any = None
        self.prepared: Any = None
        self.started: set[str] = set()  # checks that began (their outcome may never arrive)
        self.observations: list[dict[str, Any]] = []  # what the checks saw of the assumptions

    @property
    def active(self) -> bool:
        return bool(self.selected or self.outcomes)

    # -- collection ------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = {i.nodeid: _requirements(i) for i in session.items if _requirements(i)}
        if not self.selected:
            return
        self.prepared = self.config.stash.get(PREPARED_KEY, None)
        if self.prepared is None:  # the plugin used on its own: validate before the first check
            try:
                settings = settings_from_config(self.config)
                from conformance.mock import seeded_orgs
                from conformance.preflight import prepare

                self.prepared = prepare(settings, seeded_orgs=seeded_orgs(settings.mock_size))
            except ConformanceToolError as exc:
                raise pytest.UsageError(exc.one_line()) from exc
        _state(self.config).prepared = self.prepared
        if self.config.stash.get(CLI_KEY, False) and not self.prepared.settings.quiet:
            from conformance.progress import Progress

            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            self.progress = Progress(reporter, self.selected, self.prepared)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started.add(nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = next((v for k, v in report.user_properties if k == USER_PROPERTY), None)
        if data is None:
            return
        from conformance.assemble import Outcome

        outcome = self.outcomes.setdefault(report.nodeid, Outcome(report.nodeid, report.nodeid.split("::")[-1],
                                                                  list(data["requirements"])))
        self.selected.setdefault(report.nodeid, list(data["requirements"]))
        if data["when"] != "teardown":
            return
        outcome.name = data["name"]
        outcome.status = data["status"]
        outcome.message = Message.from_ref(data["message"]) if data["message"] else None
        outcome.error_kind = data["error_kind"]
        outcome.duration = data["duration"]
        outcome.steps = [Message.from_ref(r) for r in data["steps"]]
        outcome.warnings = [Message.from_ref(r) for r in data["warnings"]]
        outcome.exchanges = data["exchanges"]
        outcome.exchange_count = data["exchange_count"]
        outcome.calls = data["calls"]
        outcome.finished = True
        self.observations += [{**o, "check": report.nodeid} for o in data.get("observations", [])]
        if self.progress is not None:
            self.progress.check_done(outcome)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = self.interrupted or "SIGINT"

    # -- end of session ----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.active or self.prepared is None:
            return
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.interrupted = self.interrupted or "SIGINT"
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if self.config.stash.get(CLI_KEY, False) and reporter is not None:
                reporter._report_keyboardinterrupt = lambda: None  # the CLI says it stopped, without a traceback
        state = _state(self.config)
        try:
            self.result = self.build_result(state.session)
            self.output_dir = self.write_outputs(self.result, state.session)
        finally:
            if state.session is not None:
                state.session.close()
                state.session = None

    def build_result(self, target: Any) -> Any:
        from conformance.assemble import Outcome, RunContext, aggregate, build, check_result
        from conformance.requirements import load_catalogue

        prepared = self.prepared
        settings = target.settings if target is not None else prepared.settings
        catalogue = load_catalogue()
        lang = settings.lang
        deadline_hit = target is not None and target.limits.run_deadline is not None and \
            time.monotonic() >= target.limits.run_deadline
        unfinished = Message("run.not_finished")
        not_started = Message("run.deadline", {"seconds": f"{settings.deadline:g}"}) if deadline_hit and \
            not self.interrupted else Message("run.not_started")
        checks = []
        for nodeid, ids in self.selected.items():
            outcome = self.outcomes.get(nodeid)
            if outcome is None:  # no report came: it never started, or was stopped in its setup
                outcome = Outcome(nodeid, nodeid.split("::")[-1], ids,
                                  message=unfinished if nodeid in self.started else not_started)
            checks.append(check_result(outcome, catalogue, lang, CATALOGUE_PREFIXES, unfinished))
        merged_from: list[str] = []
        previous = prepared.previous
        if previous is not None:  # carry over what was not re-run, marked with its run id
            rerun = {c.nodeid for c in checks}
            for old in previous.checks:
                if old.nodeid not in rerun:
                    old.run_id = old.run_id or previous.run_id
                    old.localise(lang)
                    checks.append(old)
            merged_from = [previous.run_id, *previous.merged_from]
        kind = settings.target
        requirements = aggregate(catalogue, checks, lang, kind)
        waivers: list[dict[str, Any]] = []
        if prepared.waivers:
            import datetime as dt

            from conformance.waivers import apply_waivers

            waivers = apply_waivers(requirements, prepared.waivers, dt.date.today())
        spec = prepared.spec.identity()
        interruption, interruption_kind = None, None
        if self.interrupted:
            interruption = Message("run.stopped_signal", {"signal": "Ctrl-C, SIGINT" if self.interrupted == "SIGINT"
                                                          else "SIGTERM"})
            interruption_kind = self.interrupted
        elif deadline_hit or any(c.message_ref and c.message_ref.get("id") == "run.deadline" for c in checks):
            interruption, interruption_kind = Message("run.stopped_deadline", {"seconds": f"{settings.deadline:g}"}), \
                "deadline"
        ctx = RunContext(
            run_id=prepared.run_id, started=prepared.started, lang=lang, tool_version=__version__,
            target={"kind": kind, "embedded_mock": settings.embedded_mock, "base_url": settings.base_url,
                    "token_url": settings.token_url, "issuer": settings.issuer, "org": settings.org,
                    "empty_org": settings.empty_org, "authentication": settings.auth_alternative,
                    "credential": settings.credential_kind, "client_id": settings.client_id,
                    "mock_faults": list(settings.mock_fault)},
            spec=spec, environment=_environment(self.config, settings), meta=dict(settings.report),
            settings=settings.redacted())
        result = build(ctx, catalogue, checks, interruption=interruption, interruption_kind=interruption_kind,
                       waivers=waivers, requirements=requirements, merged_from=merged_from)
        from conformance.assumptions import Observation, load_register, summarise

        result.assumptions = summarise(load_register(), prepared.assumptions,
                                       [Observation(**o) for o in self.observations], lang)
        if prepared.baseline is not None:
            from conformance.diff import diff_results

            result.baseline = diff_results(prepared.baseline, result)
        return result

    def write_outputs(self, result: Any, target: Any) -> Path:
        from conformance.evidence import Evidence
        from conformance.outputs import inputs_digests, write_run
        from conformance.requirements import load_catalogue

        prepared = self.prepared
        settings = prepared.settings
        evidence = target.evidence if target is not None else Evidence()
        if self.progress is not None:
            self.progress.finish(result)
        self.written = write_run(
            result, prepared.out, evidence.iter_exchanges(), redactor=evidence.redactor,
            pseudonymise=not settings.no_pseudonymise, pdf=not settings.no_pdf, sign_key=settings.sign_key,
            inputs=inputs_digests(prepared.spec.text, load_catalogue().text, settings.config),
            carry_from=settings.rerun_failed)
        return prepared.out

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is None or self.config.stash.get(CLI_KEY, False):  # the CLI prints its own summary
            return
        r = self.result
        counts = ", ".join(f"{n} {s}" for s, n in r.counts.items() if n)
        terminalreporter.write_sep("=", f"sbs-conformance: {r.verdict.upper()} ({counts})")
        if self.output_dir:
            terminalreporter.write_line(f"report: {self.output_dir / 'report.html'}")


# -- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sbs_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The target session (embedded mock or real target), shared by all checks."""
    from conformance.session import TargetSession

    state = _state(request.config)
    if state.session is None:
        if state.prepared is None:  # a worker process, or checks collected without requirement marks
            try:
                from conformance.mock import seeded_orgs
                from conformance.preflight import prepare

                settings = request.config.stash.get(SETTINGS_KEY, None) or settings_from_config(request.config)
                state.prepared = request.config.stash.get(PREPARED_KEY, None) or prepare(
                    settings, seeded_orgs=seeded_orgs(settings.mock_size))
            except ConformanceToolError as exc:
                raise pytest.UsageError(exc.one_line()) from exc
        state.session = TargetSession.start(state.prepared)
        # The check whose setup started the session makes the first calls.
        state.session.evidence.current = state.current
    yield state.session


@pytest.fixture(scope="session")
def evidence(sbs_session: Any) -> Any:
    """The run's :class:`conformance.evidence.Evidence`: every exchange, redacted."""
    return sbs_session.evidence


@pytest.fixture(scope="session")
def maskinporten_token(sbs_session: Any) -> Any:
    """The :class:`conformance.maskinporten.Token` for the configured scope and organisation."""
    return sbs_session.token()


@pytest.fixture
def token(sbs_session: Any) -> Any:
    """The same token, noted as relied on by the check that asks for it (the call may have been made earlier)."""
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
    _state(request.config).recorders[request.node.nodeid] = recorder
    return recorder


@pytest.fixture
def liste(sbs_session: Any, token: Any) -> list[dict[str, Any]]:
    """The unpaged list of the organisation; data checks skip when it is empty."""
    from conformance.outcomes import skip

    items = sbs_session.liste()
    if not items:
        skip("tp.data.no_test_data", org=sbs_session.settings.org)
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
