"""Command line: ``sbs-conformance run | mock serve``.

Exit codes: 0 passed, 1 failed, 2 usage or configuration error, 3 environment error (target or token
endpoint unreachable), 4 a secret was found in an output file, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.errors import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PASSED,
    EXIT_USAGE,
    ConfigError,
    ConformanceToolError,
)
from conformance.settings import OPTIONS, Settings, resolve

PROG = "sbs-conformance"


def _fail(exc: ConformanceToolError) -> int:
    print(f"{PROG}: error: {exc.cause}", file=sys.stderr)
    if exc.hint:
        print(f"{PROG}: hint: {exc.hint}", file=sys.stderr)
    return exc.exit_code


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file with these settings (and a [report] table)")
    for o in OPTIONS:
        flag = "--" + o.name.replace("_", "-")
        env = f"SBS_CONFORMANCE_{o.name.upper()}"
        if o.flag:
            parser.add_argument(flag, dest=o.name, action="store_true", default=None, help=f"{o.help} [{env}]")
        elif o.multiple:
            parser.add_argument(flag, dest=o.name, action="append", default=None, help=f"{o.help} [{env}]")
        else:
            parser.add_argument(flag, dest=o.name, default=None, choices=o.choices, help=f"{o.help} [{env}]")


class _SettingsBridge:
    """Hands the CLI's resolved Settings to the plugin and keeps the pytest config for reading results."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config: Any = None

    def pytest_configure(self, config: Any) -> None:
        from conformance.plugin import SETTINGS_KEY

        config.stash[SETTINGS_KEY] = self.settings
        self.config = config


def _exit_code(result: Any) -> int:
    if result.verdict == "passed":
        return EXIT_PASSED
    if result.verdict == "failed":
        return EXIT_FAILED
    if result.verdict == "interrupted":
        return EXIT_INTERRUPTED
    kind = (result.error or {}).get("kind")
    return EXIT_USAGE if kind == "config" else EXIT_ENVIRONMENT


def _print_summary(result: Any, out: Path) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in result.counts.items() if n)
    print()
    print(f"Verdict: {result.verdict.upper()}  ({counts}; {len(result.checks)} checks)")
    target = result.target
    print(f"Target:  {target['kind']}{' (embedded mock)' if target.get('embedded_mock') else ''} "
          f"{target['base_url']}  org {target['org']}")
    cause = (result.error or {}).get("message")
    hidden = 0
    for req in result.requirements:
        if req.status in ("failed", "error", "warning"):
            first = next((c for c in result.checks if c.nodeid in req.checks and c.status == req.status), None)
            if first is not None and first.message == cause:
                hidden += 1  # the run's cause is printed once below
                continue
            detail = f": {first.message}" if first and first.message else ""
            print(f"  {req.status.upper():8} {req.id}{detail}"[:240])
    if hidden:
        print(f"  ERROR    {hidden} requirement(s) could not be checked, see the cause")
    if result.error:
        print(f"Cause:   {result.error['message']}")
    print(f"Report:  {out / 'report.html'}")
    print(f"         {out / 'results.json'}, {out / 'junit.xml'}")


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    import pytest

    from conformance.plugin import PLUGIN_NAME

    try:
        settings = resolve({o.name: getattr(args, o.name) for o in OPTIONS}, config=args.config)
    except ConfigError as exc:
        return _fail(exc)
    bridge = _SettingsBridge(settings)
    suite_dir = Path(str(files("conformance.suite")))
    pytest_args = ["-c", str(suite_dir / "pytest.ini"), "--rootdir", str(suite_dir), "--pyargs", "conformance.suite",
                   "-q", "--tb=no", "--no-header", "-W", "ignore::pytest.PytestAssertRewriteWarning", *extra]
    # Isolate the suite from whatever pytest plugins the environment has: load only ours.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(["-p", "conformance.plugin", *pytest_args], plugins=[bridge])
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    run = bridge.config.pluginmanager.get_plugin(PLUGIN_NAME) if bridge.config else None
    if run is None or run.result is None:
        if code == pytest.ExitCode.INTERRUPTED:
            print(f"{PROG}: interrupted before any check ran", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"{PROG}: error: the suite did not run (pytest exit code {int(code)})", file=sys.stderr)
        print(f"{PROG}: hint: check the arguments after --, e.g. a -k expression that selects nothing",
              file=sys.stderr)
        return EXIT_USAGE
    _print_summary(run.result, run.output_dir)
    return _exit_code(run.result)


def cmd_mock_serve(args: argparse.Namespace) -> int:
    from conformance.mock import Faults
    from conformance.mock.credentials import register_client
    from conformance.mock.server import _bind, serve_forever
    from conformance.mock.state import EMPTY_ORG, EXAMPLES_ORG, MockState, org_specs

    try:
        faults = Faults.of(args.fault or [])
        state = MockState(faults=faults)
        stores = org_specs(args.orgs or ["examples", "empty", "generated:2000"])
    except ValueError as exc:
        return _fail(ConfigError(str(exc), "see sbs-conformance mock serve --help"))
    state.stores.update(stores)
    main_org = EXAMPLES_ORG if EXAMPLES_ORG in stores else next(iter(stores), EXAMPLES_ORG)
    customers = tuple(o for o in stores if o != main_org)
    kid_client = register_client(state, main_org, systemuser_orgs=customers)
    x5c_client = register_client(state, main_org, use_x5c=True, systemuser_orgs=customers)
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
    empty = EMPTY_ORG if EMPTY_ORG in stores else None
    common = (f"--target mock --base-url {origin} --token-url {state.token_url} --issuer {state.issuer} "
              f"--org {main_org}{f' --empty-org {empty}' if empty else ''}")
    print(f"sbs-conformance mock {__version__}")
    print(f"  issuer:       {state.issuer}")
    print(f"  token URL:    {state.token_url}")
    print(f"  metadata:     {origin}/.well-known/oauth-authorization-server  (JWKS {origin}/jwk)")
    print(f"  API base URL: {origin}/api/trekkpaalegg/v1   (OpenAPI: {origin}/openapi.yaml)")
    for org, store in stores.items():
        print(f"  organisation {org}: {store.count()} trekkpålegg")
    if faults.enabled:
        print(f"  faults on:    {', '.join(sorted(faults.enabled))}")
    print("Registered clients (scope skatteetaten:trekkpaalegg; systembruker for the other organisations):")
    print(f"  kid:  client id {kid_client.client_id}, kid {kid_client.kid}, key {kid_files['key']}")
    print(f"  x5c:  client id {x5c_client.client_id}, key {x5c_files['key']}, certificate chain {x5c_files['cert']}")
    print("Run the suite against it:")
    print(f"  {PROG} run {common} --client-id {kid_client.client_id} --key {kid_files['key']} --kid {kid_client.kid}")
    print(f"  {PROG} run {common} --client-id {x5c_client.client_id} --key {x5c_files['key']} "
          f"--cert {x5c_files['cert']}")
    print("Press Ctrl-C to stop.", flush=True)
    sock.close()
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(state, args.host, int(origin.rsplit(":", 1)[1]))
    return EXIT_PASSED


def cmd_doctor(args: argparse.Namespace) -> int:
    from conformance.doctor import Doctor, exit_code, render

    try:
        settings = resolve({o.name: getattr(args, o.name) for o in OPTIONS}, config=args.config)
    except ConfigError as exc:
        print(f"FAIL  configuration {exc.cause}\n{'':19} fix: {exc.hint}")
        return exc.exit_code
    findings = Doctor(settings).run()
    print(render(findings))
    code = exit_code(findings)
    print("\nAll good: run `sbs-conformance run` with the same options." if code == EXIT_PASSED
          else "\nFix the FAIL lines above, then run doctor again.")
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Conformance suite for Skatteetaten's Trekkpålegg API.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bundled checks (default target: the embedded mock)",
                         description="Run the bundled checks. Arguments after -- go to pytest.")
    _add_settings_options(run)
    doctor = sub.add_parser("doctor", help="check configuration, credentials, clock and reachability; no checks",
                            description="Find what is wrong with the setup before running the suite.")
    _add_settings_options(doctor)
    mock = sub.add_parser("mock", help="the bundled mock (Maskinporten + Trekkpålegg API)")
    mock_sub = mock.add_subparsers(dest="mock_command", required=True)
    serve = mock_sub.add_parser("serve", help="serve the mock over HTTP until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--orgs", nargs="+", metavar="SPEC",
                       help="organisations to seed: examples, empty, generated[:N], each optionally ORGNR=SPEC "
                            "(default: examples empty generated:2000)")
    serve.add_argument("--fault", action="append", help="turn on a fault switch (repeatable)")
    serve.add_argument("--credentials-dir", type=Path, default=Path("sbs-mock-credentials"),
                       help="where to write the generated client keys and certificate (PEM)")
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
        if args.command == "doctor":
            return cmd_doctor(args)
        if args.command == "mock" and args.mock_command == "serve":
            return cmd_mock_serve(args)
    except ConformanceToolError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
