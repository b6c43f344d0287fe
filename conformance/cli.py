"""Command line: ``sbs-conformance run | doctor | report | verify | diff | client-check | client-judge | mock serve``.

Exit codes of ``run`` and ``client-check``: 0 passed, 1 failed, 2 usage or configuration error, 3 environment
error (target or token endpoint unreachable), 4 a secret was found in an output file, 5 incomplete (a required
requirement was not run), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). ``verify`` has its own codes
(see :mod:`conformance.integrity`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any, NoReturn

from conformance import __version__
from conformance.errors import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_LEAK,
    EXIT_PASSED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    ConfigError,
    ConformanceToolError,
)
from conformance.settings import OPTIONS, Settings, argument_kwargs, resolve

PROG = "sbs-conformance"
#: pytest runs silently under the CLI: the CLI prints one line per requirement and the verdict.
#: pytest's unraisable-exception plugin runs five full garbage collections at the end (~0.6 s with a rendered report
#: in memory) for warnings nobody reads here.
QUIET_PYTEST = ["-qq", "--tb=no", "--no-header", "--no-summary", "-p", "no:warnings", "-p", "no:unraisableexception",
                "-o", "console_output_style=classic", "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def _fail(exc: ConformanceToolError) -> int:
    print(f"{PROG}: error: {exc.cause}", file=sys.stderr)
    if exc.hint:
        print(f"{PROG}: hint: {exc.hint}", file=sys.stderr)
    return exc.exit_code


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file with these settings (and a [report] table)")
    for o in OPTIONS:
        parser.add_argument("--" + o.name.replace("_", "-"), dest=o.name,
                            help=f"{o.help} [SBS_CONFORMANCE_{o.name.upper()}]", **argument_kwargs(o))


class StopSignal:
    """Which signal stopped the run, if any. SIGTERM is handled like Ctrl-C: the report is still written."""

    def __init__(self) -> None:
        self.name: str | None = None


@contextlib.contextmanager
def stop_signals(holder: StopSignal) -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt (once; while the outputs are written they are ignored)."""
    def on_signal(signum: int, frame: Any) -> None:
        if holder.name is None:
            holder.name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class _SettingsBridge:
    """Hands the CLI's prepared run to the plugin and keeps the pytest config for reading results."""

    def __init__(self, settings: Settings, prepared: Any, stop: StopSignal) -> None:
        self.settings, self.prepared, self.stop = settings, prepared, stop
        self.config: Any = None

    def pytest_configure(self, config: Any) -> None:
        from conformance.plugin import CLI_KEY, PREPARED_KEY, SETTINGS_KEY

        config.stash[SETTINGS_KEY] = self.settings
        config.stash[PREPARED_KEY] = self.prepared
        config.stash[CLI_KEY] = True
        self.config = config

    def pytest_keyboard_interrupt(self) -> None:
        from conformance.plugin import PLUGIN_NAME

        run = self.config.pluginmanager.get_plugin(PLUGIN_NAME) if self.config else None
        if run is not None and self.stop.name:
            run.interrupted = self.stop.name


def exit_code(result: Any) -> int:
    if result.verdict == "passed":
        return EXIT_PASSED
    if result.verdict == "failed":
        return EXIT_FAILED
    if result.verdict == "incomplete":
        return EXIT_INCOMPLETE
    if result.verdict == "interrupted":
        kind = (result.interruption or {}).get("kind")
        return EXIT_TERMINATED if kind == "SIGTERM" else EXIT_INTERRUPTED
    kind = (result.error or {}).get("kind")
    return EXIT_USAGE if kind == "config" else EXIT_ENVIRONMENT


def _wrapped(text: str, indent: int) -> str:
    """A long line wrapped at word boundaries (never cut): the terminal's width, or 110 columns in CI."""
    width = shutil.get_terminal_size((110, 24)).columns if sys.stdout.isatty() else 110
    return textwrap.fill(text, width=max(width, 60), subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)


@contextlib.contextmanager
def closed_stdout_tolerated() -> Iterator[None]:
    """Printing to a pager or ``head`` that already closed is no error of the run: its exit code still counts."""
    try:
        yield
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (Python flushes stdout at exit)


def print_summary(result: Any, out: Path, written: Any = None) -> None:
    with closed_stdout_tolerated():
        _print_summary(result, out, written)


def _print_summary(result: Any, out: Path, written: Any = None) -> None:
    inapplicable = sum(1 for r in result.requirements if not r.applicable)
    counts = ", ".join(f"{n} {s}" for s, n in result.counts.items() if n)
    counts += f" ({inapplicable} not applicable)" if inapplicable else ""
    print()
    print(f"Verdict: {result.verdict.upper()}  ({counts}; {len(result.checks)} checks)")
    target = result.target
    where = f" org {target['org']}" if target.get("org") else ""
    where += f", system user of {target['systemuser_org']}" if target.get("systemuser_org") else ""
    base_urls = target.get("base_urls") or {}
    several = len(base_urls) > 1
    print(f"Target:  {target['kind']}{' (embedded mock)' if target.get('embedded_mock') else ''} "
          f"{'' if several else target.get('base_url') or ''}{where}")
    for name, url in base_urls.items() if several else ():
        print(f"         {name}: {url}")
    cause = (result.error or {}).get("message")
    hidden = 0
    not_run: dict[str, list[str]] = {}  # reason -> ids: one line per reason, however many were not run
    for req in result.requirements:
        if req.status == "not_run" and req.severity == "required" and req.applicable:
            not_run.setdefault(req.reason, []).append(req.id)
        elif req.status in ("failed", "error", "warning", "waived"):
            first = next((c for c in result.checks if c.nodeid in req.checks and c.status == req.status), None)
            if first is not None and first.message == cause:
                hidden += 1  # the run's cause is printed once below
                continue
            detail = first.message if first and first.message else req.reason or (
                (req.waiver or {}).get("reason", "") if req.status == "waived" else "")
            print(_wrapped(f"  {req.status.upper():8} {req.id}{': ' + detail if detail else ''}", 11))
    for reason, ids in not_run.items():
        print(_wrapped(f"  NOT RUN  {', '.join(ids)}{': ' + reason if reason else ''}", 11))
    if hidden:
        print(f"  ERROR    {hidden} requirement(s) could not be checked, see the cause")
    if result.interruption:
        print(_wrapped(f"Stopped: {result.interruption['message']}", 9))
    if result.error:
        print(_wrapped(f"Cause:   {result.error['message']}", 9))
    print(f"Report:  {out / 'report.html'}")
    if written is not None and written.pdf is not None:
        print(f"         {written.pdf}")
    print(f"         {out / 'results.json'}, {out / 'junit.xml'}, {out / 'evidence'}/, {out / 'manifest.json'}")
    if written is not None and written.pdf_problem:
        print(f"Note:    {written.pdf_problem}")


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    import pytest

    from conformance.plugin import PLUGIN_NAME
    from conformance.preflight import prepare

    try:
        settings = resolve({o.name: getattr(args, o.name) for o in OPTIONS}, config=args.config)
        prepared = prepare(settings)
    except ConfigError as exc:
        return _fail(exc)
    package_dir = Path(str(files("conformance")))
    suite_dir = package_dir / "suite"
    # The suite: the checks every API shares, and (added by the plugin) the selected APIs' own.
    selection = ["--pyargs", "conformance.suite"]
    if settings.rerun_failed:
        selection = _rerun_selection(prepared.previous, package_dir)
        if not selection:
            print(f"{PROG}: nothing to re-run: {settings.rerun_failed} has no failed or errored checks")
            with contextlib.suppress(OSError):
                prepared.out.rmdir()
            return EXIT_PASSED
    if not settings.no_pdf:
        from conformance.report.pdfworker import PdfWorker

        prepared.pdf_worker = PdfWorker.start()  # imports WeasyPrint while pytest and the checks run
    stop = StopSignal()
    bridge = _SettingsBridge(settings, prepared, stop)
    pytest_args = ["-c", str(suite_dir / "pytest.ini"), "--rootdir", str(package_dir), *selection, *QUIET_PYTEST,
                   *extra]
    # Isolate the suite from whatever pytest plugins the environment has: load only ours.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with stop_signals(stop):
            code = pytest.main(["-p", "conformance.plugin", *pytest_args], plugins=[bridge])
    finally:
        if prepared.pdf_worker is not None:
            prepared.pdf_worker.close()
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    run = bridge.config.pluginmanager.get_plugin(PLUGIN_NAME) if bridge.config else None
    if run is None or run.result is None:
        with contextlib.suppress(OSError):
            prepared.out.rmdir()  # created (empty) by prepare; nothing was written
        if code == pytest.ExitCode.INTERRUPTED:
            print(f"{PROG}: interrupted before any check ran", file=sys.stderr)
            return EXIT_TERMINATED if stop.name == "SIGTERM" else EXIT_INTERRUPTED
        print(f"{PROG}: error: the suite did not run (pytest exit code {int(code)})", file=sys.stderr)
        print(f"{PROG}: hint: check the arguments after --, e.g. a -k expression that selects nothing",
              file=sys.stderr)
        return EXIT_USAGE
    print_summary(run.result, run.output_dir, run.written)
    return final_code(run.result, run.written)


def final_code(result: Any, written: Any) -> int:
    """The run's exit code; a leak found in the output overrides every verdict."""
    if written is not None and written.leaks:
        for leak in written.leaks:
            print(f"{PROG}: LEAK: {leak}", file=sys.stderr)
        print(f"{PROG}: hint: do not share this folder; report the leak as a bug in sbs-conformance", file=sys.stderr)
        return EXIT_LEAK
    return exit_code(result)


def _rerun_selection(old: Any, package_dir: Path) -> list[str]:
    """Paths of the earlier run's failed/errored bundled checks (a vendor's own checks are carried over). Node ids
    are relative to the package: ``suite/test_auth.py::...[trekkpaalegg]``, ``profiles/<api>/checks/...``."""
    out = []
    for c in old.checks:
        if c.status in ("failed", "error"):
            module, _, name = c.nodeid.partition("::")
            if (package_dir / module).is_file():
                out.append(f"{package_dir / module}::{name}")
    return out


def cmd_mock_serve_scenario(args: argparse.Namespace) -> int:
    """Serve one client-check scenario for a system that is polled by hand, recording its traffic."""
    from conformance.clientcheck.runner import end_polls_by, register_vendor_client
    from conformance.clientcheck.scenarios import CLIENT
    from conformance.mock.server import _bind, serve_forever
    from conformance.mock.state import MockState

    try:
        profile = _client_profile(args.api)
    except ConfigError as exc:
        return _fail(exc)
    SCENARIOS = profile.clientcheck.SCENARIOS
    scenario = SCENARIOS.get(args.scenario)
    if scenario is None:
        return _fail(ConfigError(f"unknown scenario {args.scenario}", f"choose from {', '.join(SCENARIOS)}"))
    if scenario.systemuser_only:
        return _fail(ConfigError(f"scenario {scenario.name} judges a systembruker client",
                                 f"run it with {PROG} client-check --systemuser CUSTOMER --scenario {scenario.name}"))
    state = MockState(served=[profile.name])
    state.traffic = []
    scenario.setup(state, CLIENT.data_org)
    state.poll = 1
    end_polls_by(state, scenario, profile.clientcheck.ends_poll)
    args.credentials_dir.mkdir(parents=True, exist_ok=True)
    env = register_vendor_client(state, args.credentials_dir, CLIENT, scenario, profile.name)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return _fail(ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", "choose another --port"))
    state.set_origin(f"http://{args.host}:{sock.getsockname()[1]}")
    env.update({"SBS_BASE_URL": state.base_url(profile), "SBS_TOKEN_URL": state.token_url,
                "SBS_ISSUER": state.issuer})
    print(f"sbs-conformance mock, {profile.title_en}, scenario {scenario.name}: {scenario.description}")
    print(f"  polls: {scenario.polls} (a poll ends when the sync is done: {profile.clientcheck.ends_poll.__doc__})")
    for key, value in env.items():
        print(f"  {key}={value}")
    with contextlib.ExitStack() as stack:
        if args.record:
            state.record_file = stack.enter_context(args.record.open("a", encoding="utf-8"))
            print(f"  recording to {args.record}; afterwards: {PROG} client-judge --api {profile.name} --scenario "
                  f"{scenario.name} {args.record} --state <your state.json>")
        with contextlib.suppress(KeyboardInterrupt):
            serve_forever(state, sock)
    return EXIT_PASSED


def _client_profile(api: str | None) -> Any:
    """The profile whose client is judged (``--api``, default trekkpaalegg); it must have a client check."""
    from conformance.profiles import DEFAULT, get, profiles

    profile = get(api or DEFAULT)
    if profile.client_catalogue is None:
        with_check = [p.name for p in profiles() if p.client_catalogue]
        raise ConfigError(f"the {profile.name} API has no client check", f"choose one of {', '.join(with_check)}")
    return profile


def _client_out(args: argparse.Namespace, started: Any, run_id: str) -> Path:
    from conformance.preflight import default_out, writable_folder

    return writable_folder(args.out or default_out(started, run_id, "-client"))


def cmd_client_judge(args: argparse.Namespace) -> int:
    import datetime as dt
    import json
    import uuid

    from conformance.clientcheck.results import write_client_report
    from conformance.clientcheck.runner import run_from_recording
    from conformance.messages import Message

    try:
        profile = _client_profile(args.api)
    except ConfigError as exc:
        return _fail(exc)
    SCENARIOS = profile.clientcheck.SCENARIOS
    scenario = SCENARIOS.get(args.scenario)
    if scenario is None:
        return _fail(ConfigError(f"unknown scenario {args.scenario}", f"choose from {', '.join(SCENARIOS)}"))
    if scenario.systemuser_only:
        return _fail(ConfigError(f"scenario {scenario.name} judges a systembruker client",
                                 f"run it with {PROG} client-check --systemuser CUSTOMER --scenario {scenario.name}"))
    try:
        traffic = [json.loads(line) for line in args.traffic.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        return _fail(ConfigError(f"cannot read {args.traffic}: {exc}", "give the file written by mock serve --record"))
    final_state, problem = None, None
    if args.state:
        try:
            final_state = json.loads(args.state.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problem = Message("cc.state_unreadable", {"path": str(args.state), "cause": str(exc)[:120]})
    run = run_from_recording(scenario, traffic, final_state, problem, profile.name)
    started, run_id = dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8]
    out = _client_out(args, started, run_id)
    result, written = write_client_report([run], out, args.lang, ["(polled by hand)"], started, pdf=not args.no_pdf,
                                          run_id=run_id, api=profile.name)
    print_summary(result, out, written)
    return final_code(result, written)


def _systemuser_spec(spec: str, default_rights: frozenset[str]) -> tuple[str, frozenset[str], str | None]:
    """``CUSTOMER[:RESOURCE[:EXTERNALREF]]`` of ``mock serve --systemuser`` (default right: every served API's)."""
    from conformance.identifiers import orgnr_ok

    customer, _, rest = spec.partition(":")
    resource, _, external_ref = rest.partition(":")
    if not orgnr_ok(customer):
        raise ConfigError(f"--systemuser {spec}: {customer} is not a valid organisation number",
                          "give CUSTOMER[:RESOURCE[:EXTERNALREF]], e.g. 313367002:ske-informasjon-om-trekkpaalegg")
    return customer, frozenset({resource}) if resource else default_rights, external_ref or None


def _delegation_spec(spec: str) -> tuple[str, str]:
    from conformance.identifiers import orgnr_ok

    supplier, _, consumer = spec.partition(":")
    if not (orgnr_ok(supplier) and orgnr_ok(consumer)):
        raise ConfigError(f"--delegation {spec} is not SUPPLIER:CONSUMER (two organisation numbers)",
                          "e.g. --delegation 310702641:313367002")
    return supplier, consumer


def cmd_mock_serve(args: argparse.Namespace) -> int:
    if args.scenario:
        return cmd_mock_serve_scenario(args)
    from conformance.assumptions import parse_assume, register_of
    from conformance.mock import Faults, Variants
    from conformance.mock.credentials import register_client, served_rights
    from conformance.mock.server import _bind, serve_forever
    from conformance.mock.state import MOCK_ORG, MockState
    from conformance.profiles import select

    try:
        served = select(args.api or "all")
        state = MockState(faults=Faults.of(args.fault or []), variants=Variants.of(args.variant or []),
                          served=[p.name for p in served])
        for profile in served:
            profile.mock.seed(state, size=args.size, orgs=args.orgs)
    except ValueError as exc:
        return _fail(ConfigError(str(exc), "see sbs-conformance mock serve --help"))
    state.assume(register_of(p.name for p in served).resolve(parse_assume(args.assume or [])))
    if args.token_lifetime is not None:
        if args.token_lifetime < 1:
            return _fail(ConfigError("--token-lifetime must be at least 1 second", "e.g. --token-lifetime 120"))
        state.maskinporten.token_lifetime = args.token_lifetime
    rights = served_rights(state)
    systemusers = [_systemuser_spec(spec, rights) for spec in args.systemuser or []]
    delegations = [_delegation_spec(spec) for spec in args.delegation or []]
    main_org = MOCK_ORG
    # Without --systemuser every organisation with data (but the main one) has approved a system user of the mock's
    # system, with every served API's right.
    customers: list[str] = []
    if not systemusers:
        for profile in served:
            listed = getattr(profile.mock, "customers", None)
            customers += [c for c in (listed(state, main_org) if listed else []) if c not in customers]
    kid_client = register_client(state, main_org, systemuser_orgs=tuple(customers))
    x5c_client = register_client(state, main_org, use_x5c=True, systemuser_orgs=tuple(customers))
    system_id = f"{main_org}_sbs"
    for customer, resource, external_ref in systemusers:
        state.maskinporten.add_systemuser(system_id, customer, resource, external_ref=external_ref)
    for supplier, consumer in delegations:
        for profile in served:
            state.maskinporten.delegate(consumer, supplier, profile.scope)
    consents = []
    registrars = [r for p in served if (r := getattr(p.mock, "register_consent", None))]
    for party in args.consent or []:
        from conformance.identifiers import fnr_ok, orgnr_ok

        if not (orgnr_ok(party) or fnr_ok(party)):
            return _fail(ConfigError(f"--consent {party!r} is not an organisation number or fødselsnummer",
                                     "e.g. --consent 311851381"))
        if not registrars:
            return _fail(ConfigError("--consent: none of the served APIs takes a consent",
                                     "serve --api kravogbetalinger (or all)"))
        consents += [state.maskinporten.consent(register(state, party, main_org)) for register in registrars]
    creds_dir = args.credentials_dir
    kid_files = kid_client.write(creds_dir / "kid")
    x5c_files = x5c_client.write(creds_dir / "x5c")
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return _fail(ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}",
                                 "choose another --port"))
    origin = f"http://{args.host}:{sock.getsockname()[1]}"
    state.set_origin(origin)
    api = served[0].name if len(served) == 1 else "all"
    empty = next((e for p in served if (e := getattr(p.mock, "EMPTY_ORG", None))), None)
    common = (f"--api {api} --target mock --base-url {origin} --token-url {state.token_url} "
              f"--issuer {state.issuer} --org {main_org}{f' --empty-org {empty}' if empty else ''}"
              f"{_mock_param_options(served, state)}")
    print(f"sbs-conformance mock {__version__}")
    print(f"  issuer:       {state.issuer}")
    print(f"  token URL:    {state.token_url}   (tokens live {state.maskinporten.token_lifetime} s)")
    print(f"  metadata:     {origin}/.well-known/oauth-authorization-server  (JWKS {origin}/jwk)")
    for profile in served:
        root = state.base_url(profile) + profile.api_root
        print(f"  API {profile.name}: {root}   ({profile.title_en}; scope {profile.scope}; OpenAPI: "
              f"{origin}{profile.mock_mount}/openapi.yaml)")
        for line in profile.mock.describe(state):
            print(f"    {line}")
    if state.faults.enabled:
        print(f"  faults on:    {', '.join(sorted(state.faults.enabled))}")
    if state.variants.enabled:
        print(f"  variants on:  {', '.join(sorted(state.variants.enabled))}")
    for consent in consents:
        print(f"  consent:      {consent.from_party} to {consent.to_org} (id {consent.id}; --param "
              f"samtykke={consent.id}, or AltinnSamtykke tokens from {origin}/altinn/api/authorization/token"
              f"?AuthCode={consent.id})")
    for user in state.maskinporten.systemusers:
        ref = f", externalRef {user.external_ref}" if user.external_ref else ""
        print(f"  system user:  {user.customer_org} approved for system {user.system_id} "
              f"({', '.join(sorted(user.rights))}{ref})")
    for consumer, supplier, scope in sorted(state.maskinporten.delegations):
        print(f"  delegation:   {consumer} delegated {scope} to {supplier}")
    print(f"Registered clients (scopes {', '.join(p.scope for p in served)}):")
    print(f"  kid:  client id {kid_client.client_id}, kid {kid_client.kid}, key {kid_files['key']}")
    print(f"  x5c:  client id {x5c_client.client_id}, key {x5c_files['key']}, certificate chain {x5c_files['cert']}")
    print("Run the suite against it:")
    print(f"  {PROG} run {common} --client-id {kid_client.client_id} --key {kid_files['key']} --kid {kid_client.kid}")
    print(f"  {PROG} run {common} --client-id {x5c_client.client_id} --key {x5c_files['key']} "
          f"--cert {x5c_files['cert']}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(state, sock, idle_timeout=args.idle_timeout)
    return EXIT_PASSED


def _mock_param_options(served: list[Any], state: Any) -> str:
    """``--param`` options naming this mock's test data, for the printed run commands: a served mock is a
    target like any other, so its required inputs are given, not guessed."""
    from types import SimpleNamespace

    view = SimpleNamespace(mock_fault=tuple(sorted(state.faults.enabled)))
    options = []
    for profile in served:
        decide = getattr(profile.mock, "default_params", None)
        values = decide(view) if decide else {}
        for param in profile.params:
            value = values.get(param.name, param.mock_default)
            if value is not None and value != param.default:
                key = param.name if len(served) == 1 else f"{profile.name}.{param.name}"
                options.append(f" --param {key}={value}")
    return "".join(options)


def cmd_profiles(args: argparse.Namespace) -> int:
    import json

    from conformance.profiles import get, names, profiles
    from conformance.profiles.listing import details, render_list, render_show, summary

    if args.action == "list":
        if args.name:
            return _fail(ConfigError(f"unexpected argument {args.name!r}", "use: sbs-conformance profiles show NAME"))
        print(json.dumps([summary(p, args.lang) for p in profiles()], ensure_ascii=False, indent=2) if args.json
              else render_list(args.lang))
        return EXIT_PASSED
    if not args.name:
        return _fail(ConfigError("profiles show needs a profile name", f"one of: {', '.join(names())}"))
    try:
        profile = get(args.name)
    except (KeyError, ValueError):
        return _fail(ConfigError(f"unknown profile {args.name!r}", f"one of: {', '.join(names())}"))
    print(json.dumps(details(profile, args.lang), ensure_ascii=False, indent=2) if args.json
          else render_show(profile.name, args.lang))
    return EXIT_PASSED


def cmd_doctor(args: argparse.Namespace) -> int:
    from conformance.doctor import Doctor, render
    from conformance.doctor import exit_code as doctor_exit_code

    try:
        settings = resolve({o.name: getattr(args, o.name) for o in OPTIONS}, config=args.config)
    except ConfigError as exc:
        print(f"FAIL  configuration {exc.cause}\n{'':19} fix: {exc.hint}")
        return exc.exit_code
    findings = Doctor(settings).run()
    print(render(findings))
    code = doctor_exit_code(findings)
    print("\nAll good: run `sbs-conformance run` with the same options." if code == EXIT_PASSED
          else "\nFix the FAIL lines above, then run doctor again.")
    return code


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render HTML/PDF (and JSON/JUnit) from results.json and evidence, without contacting any server."""
    import json

    from conformance.assemble import localise
    from conformance.integrity import write_manifest
    from conformance.outputs import write_renderings
    from conformance.results import read_json

    folder: Path = args.folder
    try:
        result = read_json(folder / "results.json")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return _fail(ConfigError(f"cannot read {folder / 'results.json'}: {exc}", "give an output folder of a run"))
    if args.lang and args.lang != result.lang:
        localise(result, args.lang)  # by the result's own catalogue: its APIs, API or client requirements
    written = write_renderings(result, folder, pdf=not args.no_pdf)
    inputs = {}
    old_manifest = folder / "manifest.json"
    if old_manifest.exists():
        inputs = json.loads(old_manifest.read_text(encoding="utf-8")).get("inputs", {})
    write_manifest(folder, result.run_id, inputs, args.sign_key)
    print(f"Report:  {folder / 'report.html'}")
    if written.pdf:
        print(f"         {written.pdf}")
    if written.pdf_problem:
        print(f"Note:    {written.pdf_problem}")
    return EXIT_PASSED


def cmd_verify(args: argparse.Namespace) -> int:
    from conformance.integrity import VerifyError, verify_folder

    try:
        v = verify_folder(args.folder, args.key)
    except VerifyError as exc:
        print(f"FAIL  {exc.cause}")
        if exc.hint:
            print(f"      hint: {exc.hint}")
        return exc.exit_code
    for problem in v.problems:
        print(f"FAIL  {problem}")
    for name in v.changed:
        print(f"FAIL  changed: {name}")
    for name in v.missing:
        print(f"FAIL  missing: {name}")
    for name in v.extra:
        print(f"FAIL  not in the manifest: {name}")
    if v.signature == "valid":
        how = "with the given public key" if args.key else "with the key embedded in it (integrity only)"
        print(f"OK    signature valid {how}; key thumbprint {v.signer}")
    elif v.signature == "invalid":
        print("FAIL  signature invalid: manifest.json changed after it was signed")
    elif v.signature == "missing":
        print("FAIL  no signature (manifest.jws), but --key requires one: the folder may have been re-made")
    elif v.signature == "other-key":
        print(f"FAIL  signed with another key (thumbprint {v.signer}; the given key is {v.expected_signer})")
    else:
        print("NOTE  manifest is not signed (use --sign-key when running)")
    if v.ok:
        print("OK    every file matches manifest.json")
    elif v.changed or v.missing or v.extra or v.signature == "invalid":
        print("The folder was changed after the run.")
    return v.code


def cmd_diff(args: argparse.Namespace) -> int:
    from conformance.diff import diff_results, render_text
    from conformance.results import read_json

    try:
        old, new = read_json(args.old / "results.json"), read_json(args.new / "results.json")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return _fail(ConfigError(f"cannot read results: {exc}", "give two output folders"))
    print(render_text(diff_results(old, new)))
    return EXIT_PASSED


def _check_command(command: list[str]) -> None:
    if not command:
        raise ConfigError("no command given", "put the SBS command after --, e.g. -- java -jar sbs.jar")
    if shutil.which(command[0]) is None:
        raise ConfigError(f"cannot start the command {command[0]!r}: not found or not executable",
                          "give the command of your SBS after --, with its full path if it is not on PATH")


def cmd_client_check(args: argparse.Namespace, command: list[str]) -> int:
    import datetime as dt
    import uuid

    from conformance.clientcheck.results import write_client_report
    from conformance.clientcheck.runner import ScenarioRun, run_scenario
    from conformance.clientcheck.scenarios import Setting, selectable
    from conformance.identifiers import orgnr_ok

    try:
        _check_command(command)
        profile = _client_profile(args.api)
        SCENARIOS = profile.clientcheck.SCENARIOS
        if args.systemuser is not None and profile.altinn_resource is None:
            raise ConfigError(f"the {profile.name} API is not used through an Altinn system user",
                              "leave out --systemuser (its clients act for their own organisation or by delegation)")
        if args.systemuser is not None and not orgnr_ok(args.systemuser):
            raise ConfigError(f"--systemuser {args.systemuser!r} is not a valid organisation number",
                              "give the customer's 9-digit organisation number (a synthetic one in TT02)")
        setting = Setting(args.systemuser)
        names = selectable(SCENARIOS, setting) if not args.scenario or "all" in args.scenario else args.scenario
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            raise ConfigError(f"unknown scenario {', '.join(unknown)}", f"choose from {', '.join(SCENARIOS)}")
        needs = [n for n in names if SCENARIOS[n].systemuser_only and not setting.systemuser]
        if needs:
            raise ConfigError(f"scenario {', '.join(needs)} judges a systembruker client",
                              "add --systemuser CUSTOMER (the organisation your system user acts for)")
        started, run_id = dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8]
        out = _client_out(args, started, run_id)
    except ConfigError as exc:
        return _fail(exc)
    runs: list[ScenarioRun] = []
    current: ScenarioRun | None = None
    stop = StopSignal()
    with stop_signals(stop):
        try:
            for name in names:
                print(f"scenario {name}: {SCENARIOS[name].description}", flush=True)
                current = ScenarioRun(SCENARIOS[name], setting=setting, api=profile.name)
                run_scenario(SCENARIOS[name], command, tls=args.tls, timeout=args.timeout, run=current)
                runs.append(current)
                current = None
                print(f"  {', '.join(f'poll {p.number}: exit {p.exit_code}' for p in runs[-1].polls)}; "
                      f"{len(runs[-1].traffic)} requests", flush=True)
        except KeyboardInterrupt:
            stop.name = stop.name or "SIGINT"
        except ConfigError as exc:  # the command could not be started after all
            with contextlib.suppress(OSError):
                out.rmdir()
            return _fail(exc)
    not_started = tuple(SCENARIOS[n] for n in names[len(runs) + (1 if current is not None else 0):])
    result, written = write_client_report(runs, out, args.lang, command, started, pdf=not args.no_pdf,
                                          interrupted=current, not_started=not_started, signal_name=stop.name,
                                          run_id=run_id, setting=setting, api=profile.name)
    print_summary(result, out, written)
    return final_code(result, written)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Conformance suite for Skatteetaten's APIs (sbs-conformance profiles lists them).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bundled checks (default target: the embedded mock)",
                         description="Run the bundled checks. Arguments after -- go to pytest.")
    _add_settings_options(run)
    doctor = sub.add_parser("doctor", help="check configuration, credentials, clock and reachability; no checks",
                            description="Find what is wrong with the setup before running the suite.")
    _add_settings_options(doctor)
    report = sub.add_parser("report", help="re-render report.html/report.pdf from an output folder (offline)")
    report.add_argument("folder", type=Path)
    report.add_argument("--lang", choices=("nb", "en"))
    report.add_argument("--no-pdf", action="store_true")
    report.add_argument("--sign-key", type=Path, help="sign the new manifest (PEM RSA key)")
    verify = sub.add_parser("verify", help="check an output folder against its manifest (and signature)",
                            description="Exit codes: 0 verified, 1 changed after the run, 2 no such folder, "
                                        "6 --key unusable, 7 required signature missing or made with another key, "
                                        "8 manifest missing or malformed.")
    verify.add_argument("folder", type=Path)
    verify.add_argument("--key", type=Path, help="public key (PEM) the signature must verify with (required then)")
    diff = sub.add_parser("diff", help="what changed per requirement between two output folders")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    client = sub.add_parser("client-check", help="judge your own SBS: run its command against scenario mocks",
                            description="Run your SBS command (after --) against the mock, scenario by scenario.")
    client.add_argument("--api", help="the API your system is a client of (default trekkpaalegg)")
    client.add_argument("--scenario", action="append", help="scenario name, repeatable, or all (default)")
    client.add_argument("--tls", action="store_true", help="serve HTTPS with a CA made for the run (SBS_CA_FILE)")
    client.add_argument("--out", type=Path)
    client.add_argument("--lang", choices=("nb", "en"), default="nb")
    client.add_argument("--no-pdf", action="store_true")
    client.add_argument("--timeout", type=float, default=300, help="seconds one poll of the command may take")
    client.add_argument("--systemuser", metavar="CUSTOMER",
                        help="judge a systembruker client (alternativ 2) acting for the customer CUSTOMER (an org "
                             "number; your own is allowed): adds the system-user scenarios and SBS-SU-* requirements")
    mock = sub.add_parser("mock", help="the bundled mock (Maskinporten + the APIs' services)")
    mock_sub = mock.add_subparsers(dest="mock_command", required=True)
    serve = mock_sub.add_parser("serve", help="serve the mock over HTTP until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api", help="the APIs to serve: one name, or all (default)")
    serve.add_argument("--size", type=int, default=2000, help="size of each API's generated data set (default 2000)")
    serve.add_argument("--orgs", nargs="+", metavar="SPEC",
                       help="Trekkpålegg: organisations to seed: examples, empty, generated[:N], each optionally "
                            "ORGNR=SPEC (default: examples empty generated:2000)")
    serve.add_argument("--fault", action="append", help="turn on a fault switch (repeatable)")
    serve.add_argument("--variant", action="append", help="serve a documented variation (repeatable)")
    serve.add_argument("--assume", action="append", metavar="ID=VALUE",
                       help="a value for one of the mock's named assumptions (A-MP-..., A-TP-DELEGATION)")
    serve.add_argument("--systemuser", action="append", metavar="CUSTOMER[:RESOURCE[:EXTERNALREF]]",
                       help="an approved Altinn system user of the mock's system (repeatable; default: every other "
                            "organisation with data, with every served API's resource)")
    serve.add_argument("--consent", action="append", metavar="PART",
                       help="an Altinn consent from PART to the mock's vendor for Krav og betalinger (finans; "
                            "repeatable; every seeded party has one already)")
    serve.add_argument("--delegation", action="append", metavar="SUPPLIER:CONSUMER",
                       help="an Altinn API delegation of every served API's scope (repeatable)")
    serve.add_argument("--token-lifetime", type=int, help="seconds a token lives (expires_in; default 120)")
    serve.add_argument("--idle-timeout", type=float, default=30.0,
                       help="seconds an idle keep-alive connection stays open (default 30)")
    serve.add_argument("--credentials-dir", type=Path, default=Path("sbs-mock-credentials"),
                       help="where to write the generated client keys and certificate (PEM)")
    serve.add_argument("--scenario", help="serve one client-check scenario (for a system polled by hand)")
    serve.add_argument("--record", type=Path, help="with --scenario: append every request to this JSONL file")
    listing = sub.add_parser("profiles", help="the APIs this installation can judge; profiles show NAME for one",
                             description="List the API profiles, or show one: params, base URLs, requirements, "
                                         "assumptions, mock faults and variants, client-check scenarios.")
    listing.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    listing.add_argument("name", nargs="?", help="with show: the profile's name (see the list)")
    listing.add_argument("--lang", choices=("nb", "en"), default="en")
    listing.add_argument("--json", action="store_true", help="print the same as JSON")
    judge = sub.add_parser("client-judge", help="judge recorded traffic of a scenario (mock serve --record)")
    judge.add_argument("traffic", type=Path)
    judge.add_argument("--api", help="the API the system is a client of (default trekkpaalegg)")
    judge.add_argument("--scenario", required=True)
    judge.add_argument("--state", type=Path, help="the system's state after the last poll (JSON, as SBS_STATE_FILE)")
    judge.add_argument("--out", type=Path)
    judge.add_argument("--lang", choices=("nb", "en"), default="nb")
    judge.add_argument("--no-pdf", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args, extra)
        if args.command == "client-check":
            return cmd_client_check(args, extra)
        if args.command == "client-judge":
            return cmd_client_judge(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "diff":
            return cmd_diff(args)
        if args.command == "doctor":
            return cmd_doctor(args)
        if args.command == "mock" and args.mock_command == "serve":
            return cmd_mock_serve(args)
        if args.command == "profiles":
            return cmd_profiles(args)
    except ConformanceToolError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


def entry() -> NoReturn:
    """The console script and ``python -m conformance``: :func:`main`, then the process ends without Python's
    teardown (:func:`~conformance.processes.exit_now`)."""
    from conformance.processes import exit_now

    exit_now(main())


if __name__ == "__main__":
    entry()
