"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures, and result collection.

It loads in every pytest run of an environment where sbs-conformance is installed, so it stays quiet
unless requirement-tagged checks are collected, and heavy imports happen inside fixtures and hooks.

Two halves, so that it also works where checks run in other processes (pytest-xdist):

- where a check runs, :func:`pytest_runtest_makereport` turns its outcome into data (status, message by id,
  steps, warnings, the calls it made) and attaches it to the report's ``user_properties``;
- where reports arrive, :class:`ConformanceRun` collects them from ``pytest_runtest_logreport`` (public,
  serialised by xdist), prints progress per requirement, and writes the run's outputs at the end.

Under pytest-xdist the controller prepares the run (output folder, settings) and hands the folder to the workers;
each worker runs its checks against its own target session and, at its end, exports its evidence there; the
controller merges the evidence (renumbering the exchanges) and writes the one report.

The checks common to every API (``conformance/suite``) run once per selected API (parameter ``sbs_profile``),
their requirement ids given by suffix (``*-AUTH-03`` is ``TP-AUTH-03`` for Trekkpålegg); each profile's own checks
(``conformance/profiles/<name>/checks``) are collected with the suite for the selected APIs.

Fixtures for vendors' own checks: ``maskinporten_token``, ``openapi_schema``, ``evidence``, ``check`` (to record
warnings and steps), ``sbs_session`` (the API's target: client, token, settings, params), ``sbs_run`` (the whole
run), and each profile's own (Trekkpålegg: ``trekkpaalegg_client``, ``liste``).
Tag a check with ``@pytest.mark.requirement("ID")`` to have it in the report.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import platform
import shutil
import tempfile
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
PROFILE_PARAM = "sbs_profile"
SUITE_DIR = Path(__file__).parent / "suite"
SUITE_PACKAGE = "conformance.suite"
WORKER_OUTPUT = "sbs"
#: Settings resolved (and the run prepared) by the CLI, handed to the plugin through the pytest config.
SETTINGS_KEY = pytest.StashKey[Settings]()
PREPARED_KEY = pytest.StashKey[Any]()
CLI_KEY = pytest.StashKey[bool]()  # the CLI prints progress and the verdict itself: pytest stays silent
STATE_KEY = pytest.StashKey["_ProcessState"]()
USER_PROPERTY = "sbs"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sbs-conformance", "Trekkpålegg API conformance (sbs-conformance)")
    group.addoption("--sbs-config", dest="sbs_config", default=None, help="TOML file with sbs-conformance settings")
    for o in OPTIONS:
        group.addoption("--sbs-" + o.name.replace("_", "-"), dest="sbs_" + o.name, help=o.help, **argument_kwargs(o))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement ids this check verifies (sbs-conformance); "
                            "*-ID in a check common to every API: the API's prefix")
    config.addinivalue_line("markers", "sbs_last: run after the other checks (sbs-conformance)")
    config.stash[STATE_KEY] = _ProcessState()
    from conformance.profiles import profiles

    for profile in profiles():  # each API's fixtures (e.g. trekkpaalegg_client), for its checks and vendors' own
        if profile.has_fixtures and not config.pluginmanager.has_plugin(f"{profile.package}.fixtures"):
            config.pluginmanager.import_plugin(f"{profile.package}.fixtures")
    if not hasattr(config, "workerinput") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(ConformanceRun(config), PLUGIN_NAME)


def settings_from_config(config: pytest.Config) -> Settings:
    stashed = config.stash.get(SETTINGS_KEY, None)
    if stashed is not None:
        return stashed
    cli = {o.name: config.getoption("sbs_" + o.name) for o in OPTIONS}
    cfg = config.getoption("sbs_config")
    return resolve(cli, config=Path(cfg) if cfg else None)


def selected_profiles(config: pytest.Config) -> list[Any]:
    """The APIs this run judges (``--api``); the default one when the settings cannot be read yet (the error is
    reported when the run is prepared)."""
    state = _state(config)
    if state.profiles is None:
        from conformance.profiles import select

        try:
            state.profiles = select(settings_from_config(config).api)
        except ConformanceToolError:
            state.profiles = select(None)
    return state.profiles


def _profile_of_path(path: Path | None) -> str | None:
    """The profile whose checks folder holds ``path``."""
    if path is None:
        return None
    from conformance.profiles import profiles

    for profile in profiles():
        if profile.checks_dir in path.parents:
            return profile.name
    return None


def profile_of(item: pytest.Item) -> str:
    """The API a check judges: its ``sbs_profile`` parameter (common checks), its folder (a profile's checks), or
    the first selected API (vendors' own checks)."""
    param = _profile_param(item)
    if param is not None:
        return param
    return _profile_of_path(getattr(item, "path", None)) or selected_profiles(item.config)[0].name


def _requirements(item: pytest.Item) -> list[str]:
    ids = [i for m in item.iter_markers("requirement") for i in m.args]
    if any(i.startswith("*-") for i in ids):
        from conformance.profiles import get

        profile = get(profile_of(item))
        ids = [profile.requirement(i[2:]) if i.startswith("*-") else i for i in ids]
    return ids


def _is_suite(arg: str) -> bool:
    if arg == SUITE_PACKAGE:
        return True
    with contextlib.suppress(OSError, ValueError):
        return Path(arg).resolve() == SUITE_DIR.resolve()
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Collecting the suite means the selected APIs' own checks too: their folders join the arguments."""
    config = session.config
    if any(_is_suite(str(a)) for a in config.args):
        present = {str(Path(a).resolve()) for a in config.args if not str(a).startswith(SUITE_PACKAGE)}
        for profile in selected_profiles(config):
            folder = str(profile.checks_dir)
            if folder not in present:
                config.args.append(folder)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A check common to every API runs once per selected API."""
    if PROFILE_PARAM in metafunc.fixturenames and _in_suite(metafunc.definition.path):
        wanted = [i[2:] for m in metafunc.definition.iter_markers("requirement") for i in m.args
                  if i.startswith("*-")]
        names = [p.name for p in selected_profiles(metafunc.config) if _has_requirements(p, wanted)]
        metafunc.parametrize(PROFILE_PARAM, names, ids=names)


def _in_suite(path: Any) -> bool:
    """A check common to every API (conformance/suite)."""
    return SUITE_DIR.resolve() in Path(str(path)).resolve().parents


def _profile_param(item: pytest.Item) -> str | None:
    """The API a common check was parametrised for (None: not parametrised, or by an empty set)."""
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(PROFILE_PARAM) if callspec is not None else None
    return value if isinstance(value, str) else None


def _common_for_none(item: pytest.Item) -> bool:
    """A common check that none of the selected APIs has (its parameter set is empty): not part of this run."""
    return (PROFILE_PARAM in getattr(item, "fixturenames", ()) and _in_suite(item.path)
            and _profile_param(item) is None)


def _has_requirements(profile: Any, suffixes: list[str]) -> bool:
    """A common check runs for an API whose catalogue has its requirements (the event-list checks only for an
    API with an event list)."""
    from conformance.catalogue import load_catalogue

    ids = set(load_catalogue(profile.name).ids)
    return all(profile.requirement(s) in ids for s in suffixes)


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
    profiles: list[Any] | None = None  # the selected APIs
    selection_sent: bool = False  # (a worker) the map of its checks went with its first report
    recorders: dict[str, CheckRecorder] = field(default_factory=dict)
    phase: dict[str, dict[str, Any]] = field(default_factory=dict)  # nodeid -> outcome data so far
    started: dict[str, float] = field(default_factory=dict)
    current: str | None = None  # the check being run (its calls are attributed to it)


def _state(config: pytest.Config) -> _ProcessState:
    return config.stash[STATE_KEY]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = {p.name for p in selected_profiles(config)}
    other = [i for i in items if (_profile_of_path(getattr(i, "path", None)) or next(iter(chosen))) not in chosen
             or _common_for_none(i)]
    if other:  # a profile's checks given by path, for an API this run does not judge
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]
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
        extra: dict[str, Any] = {}
        if hasattr(item.config, "workerinput") and not state.selection_sent:  # the controller collects nothing
            state.selection_sent = True
            extra["selection"] = {i.nodeid: _requirements(i) for i in item.session.items if _requirements(i)}
        report.user_properties.append((USER_PROPERTY, {"when": report.when, "requirements": ids, **extra}))
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


def _wants_run(config: pytest.Config) -> bool:
    if any(_is_suite(str(a)) for a in config.args) or config.getoption("sbs_config"):
        return True
    return any(config.getoption("sbs_" + o.name) not in (None, ()) for o in OPTIONS)


def _xdist_controller(config: pytest.Config) -> bool:
    """This process hands checks to pytest-xdist workers (and runs none itself)."""
    return config.pluginmanager.has_plugin("dsession") or bool(getattr(config.option, "numprocesses", None))


@dataclass
class _WorkerEvidence:
    """What a pytest-xdist worker hands over at its end: its exported evidence and the secrets it registered."""

    worker: str
    path: Path
    count: int
    secrets: dict[str, str]
    target: dict[str, Any]


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
        self.workers: dict[str, _WorkerEvidence] = {}  # pytest-xdist: evidence handed over by each worker
        self.worker_of: dict[str, str] = {}  # nodeid -> the worker that ran it
        self.spool_dir: Path | None = None  # pytest-xdist: where the workers export their evidence
        self.froze = False  # the objects alive before the checks were frozen (gc.freeze) by this run

    @property
    def active(self) -> bool:
        return bool(self.selected or self.outcomes)

    def _prepare(self) -> None:
        """Validate before the first check (the plugin used on its own; the CLI hands a prepared run)."""
        if self.prepared is not None:
            return
        self.prepared = self.config.stash.get(PREPARED_KEY, None)
        if self.prepared is None:
            try:
                from conformance.preflight import prepare

                self.prepared = prepare(settings_from_config(self.config))
            except ConformanceToolError as exc:
                raise pytest.UsageError(exc.one_line()) from exc
        if self.prepared.pdf_worker is None and not self.prepared.settings.no_pdf:
            from conformance.report.pdfworker import PdfWorker

            self.prepared.pdf_worker = PdfWorker.start()  # imports WeasyPrint while the checks run
        _state(self.config).prepared = self.prepared

    # -- pytest-xdist ----------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Under xdist the controller collects nothing: it prepares the run before the workers start, when this
        is a conformance run (the suite, or sbs options, on the command line)."""
        if _xdist_controller(self.config) and _wants_run(self.config):
            self._prepare()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Tell a worker where the run writes (the controller prepared the folder)."""
        if self.prepared is not None:
            if self.spool_dir is None:  # the workers' evidence waits here, outside the run's folder
                self.spool_dir = Path(tempfile.mkdtemp(prefix="sbs-xdist-"))
            node.workerinput["sbs_out"] = str(self.prepared.out)
            node.workerinput["sbs_spool_dir"] = str(self.spool_dir)
            node.workerinput["sbs_run_id"] = self.prepared.run_id

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if data:
            self.workers[data["worker"]] = _WorkerEvidence(data["worker"], Path(data["path"]), int(data["count"]),
                                                           dict(data["secrets"]), dict(data["target"]))

    # -- collection ------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = {i.nodeid: _requirements(i) for i in session.items if _requirements(i)}
        if not self.selected:
            return
        self._prepare()
        if self.config.stash.get(CLI_KEY, False) and not self.prepared.settings.quiet:
            from conformance.progress import Progress

            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            self.progress = Progress(reporter, self.selected, self.prepared)
        # What lives now (modules, the spec, the collected checks, the mock's data) lives until the end: each full
        # pass of the cyclic collector would walk it again while the checks allocate pages, items and evidence
        # (a pass every few thousand pages; 1.4 s of CPU in a run over 100 000 items). Frozen, the passes walk
        # only what the checks made; unfrozen when pytest ends (pytest_unconfigure).
        if not gc.isenabled() or self.froze:
            return
        gc.freeze()
        self.froze = True

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.froze:
            gc.unfreeze()
            self.froze = False

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started.add(nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = next((v for k, v in report.user_properties if k == USER_PROPERTY), None)
        if data is None:
            return
        from conformance.assemble import Outcome

        for nodeid, ids in (data.get("selection") or {}).items():  # a worker's checks (xdist)
            self.selected.setdefault(nodeid, list(ids))
        node = getattr(report, "node", None)
        if node is not None:
            self.worker_of[report.nodeid] = str(node.workerinput.get("workerid", ""))
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
            offsets = self._renumber()
            self.result = self.build_result(state.session)
            self.output_dir = self.write_outputs(self.result, state.session, offsets)
        finally:
            if state.session is not None:
                state.session.close()
                state.session = None
            if self.spool_dir is not None:
                shutil.rmtree(self.spool_dir, ignore_errors=True)
            if self.prepared.pdf_worker is not None:  # done, or not needed after all
                self.prepared.pdf_worker.close()

    def _renumber(self) -> dict[str, int]:
        """Workers number their exchanges from 1 each: shift each worker's by the exchanges of those before it,
        in the checks' summaries as in the merged evidence."""
        offsets, total = {}, 0
        for name in sorted(self.workers):
            offsets[name] = total
            total += self.workers[name].count
        for nodeid, outcome in self.outcomes.items():
            shift = offsets.get(self.worker_of.get(nodeid, ""), 0)
            if shift:
                outcome.exchanges = [{**x, "seq": x["seq"] + shift} for x in outcome.exchanges]
        return offsets

    def _target(self, target: Any, settings: Settings) -> dict[str, Any]:
        """What the report says of the target: from the run's session, or a worker's (xdist)."""
        names = self.prepared.names
        if target is not None:
            s = target.settings
            base_urls = {p.name: target.base_url(p) for p in target.profiles}
        else:
            worker = next((w.target for _, w in sorted(self.workers.items())), None)
            s = settings if worker is None else _with_target(settings, worker)
            base_urls = (worker or {}).get("base_urls") or {n: s.base_url for n in names}
        return {"kind": s.target, "embedded_mock": s.embedded_mock, "base_url": base_urls.get(names[0]),
                "base_urls": base_urls, "token_url": s.token_url, "issuer": s.issuer, "org": s.org,
                "empty_org": s.empty_org, "authentication": s.auth_alternative, "credential": s.credential_kind,
                "client_id": s.client_id, "mock_faults": list(s.mock_fault), "apis": names}

    def build_result(self, target: Any) -> Any:
        from conformance.assemble import Outcome, RunContext, aggregate, build, check_result

        prepared = self.prepared
        settings = target.settings if target is not None else prepared.settings
        catalogue = prepared.catalogue
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
            checks.append(check_result(outcome, catalogue, lang, prepared.prefixes, unfinished))
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
        interruption, interruption_kind = None, None
        if self.interrupted:
            interruption = Message("run.stopped_signal", {"signal": "Ctrl-C, SIGINT" if self.interrupted == "SIGINT"
                                                          else "SIGTERM"})
            interruption_kind = self.interrupted
        elif deadline_hit or any(c.message_ref and c.message_ref.get("id") == "run.deadline" for c in checks):
            interruption, interruption_kind = Message("run.stopped_deadline", {"seconds": f"{settings.deadline:g}"}), \
                "deadline"
        specs = {name: spec.identity() for name, spec in prepared.specs.items()}
        ctx = RunContext(
            run_id=prepared.run_id, started=prepared.started, lang=lang, tool_version=__version__,
            target=self._target(target, settings), spec=prepared.spec.identity(),
            environment=_environment(self.config, settings), meta=dict(settings.report),
            settings=settings.redacted(), profile=settings.api, profiles=prepared.names, specs=specs)
        result = build(ctx, catalogue, checks, interruption=interruption, interruption_kind=interruption_kind,
                       waivers=waivers, requirements=requirements, merged_from=merged_from)
        from conformance.assumptions import Observation, register_of, summarise

        result.assumptions = summarise(register_of(prepared.names), prepared.assumptions,
                                       [Observation(**o) for o in self.observations], lang)
        if prepared.baseline is not None:
            from conformance.diff import diff_results

            result.baseline = diff_results(prepared.baseline, result)
        return result

    def write_outputs(self, result: Any, target: Any, offsets: dict[str, int] | None = None) -> Path:
        from conformance.evidence import Evidence, Redactor, read_spools
        from conformance.outputs import inputs_digests, write_run

        prepared = self.prepared
        settings = prepared.settings
        if target is not None:
            exchanges, redactor = target.evidence.iter_exchanges, target.evidence.redactor
        elif self.workers:  # xdist: the workers' evidence, merged in worker order
            names = sorted(self.workers)
            paths = [self.workers[n].path for n in names]
            shifts = [(offsets or {}).get(n, 0) for n in names]
            redactor = Redactor()
            for w in self.workers.values():
                for secret, label in w.secrets.items():
                    redactor.register(secret, label)

            def exchanges() -> Any:
                return read_spools(paths, shifts)
        else:
            empty = Evidence()
            exchanges, redactor = empty.iter_exchanges, empty.redactor
        if self.progress is not None:
            self.progress.finish(result)
        keys = {k: v for p in prepared.profiles for k, v in p.personal_keys.items()}
        self.written = write_run(
            result, prepared.out, exchanges, redactor=redactor, personal_keys=keys,
            pseudonymise=not settings.no_pseudonymise, pdf=not settings.no_pdf, pdf_worker=prepared.pdf_worker,
            sign_key=settings.sign_key,
            inputs=inputs_digests("\n".join(s.text for s in prepared.specs.values()), prepared.catalogue.text,
                                  settings.config),
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


def _with_target(settings: Settings, worker: dict[str, Any]) -> Settings:
    from dataclasses import replace

    fields = {k: v for k, v in worker.items() if k in ("base_url", "token_url", "issuer", "client_id", "org",
                                                          "empty_org", "embedded")}
    return replace(settings, **fields)


# -- where checks run: the worker's end (xdist) --------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker exports its evidence to the run's folder and hands the secrets it registered to the
    controller over xdist's channel (never to a file): the controller redacts and scans with them."""
    config = session.config
    workerinput = getattr(config, "workerinput", None)
    state = _state(config)
    if workerinput is None or state.session is None:
        return
    run = state.session
    worker = str(workerinput.get("workerid", "gw"))
    spool_dir = workerinput.get("sbs_spool_dir")
    if not spool_dir:
        return
    path = Path(spool_dir) / f"evidence-{worker}.jsonl"
    count = run.evidence.export(path)
    s = run.settings
    config.workeroutput[WORKER_OUTPUT] = {  # type: ignore[attr-defined]
        "worker": worker, "path": str(path), "count": count, "secrets": run.evidence.redactor.labelled(),
        "target": {"base_url": s.base_url, "token_url": s.token_url, "issuer": s.issuer, "client_id": s.client_id,
                   "org": s.org, "empty_org": s.empty_org, "embedded": s.embedded,
                   "base_urls": {p.name: run.base_url(p) for p in run.profiles}}}
    run.close()
    state.session = None


# -- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sbs_run(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The run's target session (embedded mock or real target) for every API, shared by all checks."""
    from conformance.session import TargetSession

    config = request.config
    state = _state(config)
    if state.session is None:
        if state.prepared is None:  # a worker process, or checks collected without requirement marks
            try:
                from conformance.preflight import prepare

                workerinput = getattr(config, "workerinput", None)
                settings = settings_from_config(config)
                if workerinput is not None and workerinput.get("sbs_out"):  # the controller's folder
                    from dataclasses import replace

                    settings = replace(settings, out=Path(workerinput["sbs_out"]))
                state.prepared = config.stash.get(PREPARED_KEY, None) or prepare(
                    settings, worker=workerinput is not None)
            except ConformanceToolError as exc:
                raise pytest.UsageError(exc.one_line()) from exc
        state.session = TargetSession.start(state.prepared)
        # The check whose setup started the session makes the first calls.
        state.session.evidence.current = state.current
    yield state.session


@pytest.fixture
def sbs_profile(request: pytest.FixtureRequest) -> str:
    """The API a check judges (common checks get it as a parameter, one run per selected API)."""
    return profile_of(request.node)


@pytest.fixture
def sbs_session(sbs_run: Any, sbs_profile: str) -> Any:
    """The check's API on the run's target (:class:`conformance.session.ProfileTarget`): settings (scope, base
    URL), ``token()``, ``client``, ``spec``, ``params``, ``assumed(id)``, ``once(key, make)``."""
    return sbs_run.target(sbs_profile)


@pytest.fixture(scope="session")
def evidence(sbs_run: Any) -> Any:
    """The run's :class:`conformance.evidence.Evidence`: every exchange, redacted."""
    return sbs_run.evidence


@pytest.fixture
def maskinporten_token(sbs_session: Any) -> Any:
    """The :class:`conformance.maskinporten.Token` for the API's scope and organisation."""
    return sbs_session.token()


@pytest.fixture
def token(sbs_session: Any) -> Any:
    """The same token, noted as relied on by the check that asks for it (the call may have been made earlier)."""
    return sbs_session.token()


@pytest.fixture
def openapi_schema(sbs_session: Any) -> Any:
    """The :class:`conformance.spec.Spec` of the API in use (bundled or ``--spec``)."""
    return sbs_session.spec


@pytest.fixture
def check(request: pytest.FixtureRequest) -> CheckRecorder:
    """Record warnings (``check.warn``) and steps (``check.step``) for the report."""
    recorder = CheckRecorder()
    _state(request.config).recorders[request.node.nodeid] = recorder
    return recorder


PACKAGES = ("sbs-conformance", "pytest", "httpx", "pyjwt", "cryptography", "jsonschema", "jsonschema-rs", "jinja2",
            "starlette", "uvicorn", "pyyaml", "python-stdnum", "lxml", "weasyprint")


def _environment(config: pytest.Config, settings: Settings) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": versions,
            "seed": 1 if settings.embedded_mock else None,
            "options": [str(a) for a in config.invocation_params.args if not str(a).startswith("-W")]}
