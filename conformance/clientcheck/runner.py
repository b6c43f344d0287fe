"""Run a vendor's system (any language, as a command) against the mock, scenario by scenario, and collect what it
did: for any API, whose profile gives the scenarios, the truth to compare with and the judges."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conformance.clientcheck.scenarios import CLIENT, ORG, SYSTEM_ID, Scenario, Setting
from conformance.errors import ConfigError
from conformance.maskinporten.certs import TestPki, certificate_pem, make_test_pki, new_rsa_key, private_key_pem
from conformance.maskinporten.grant import RegisteredClient
from conformance.messages import Message
from conformance.mock.maskinporten import MockMaskinporten
from conformance.mock.server import serve
from conformance.mock.state import MockState
from conformance.processes import own_group

OUTPUT_TAIL = 2000


@dataclass
class Poll:
    number: int
    exit_code: int | None
    state: dict[str, Any] | None
    state_error: Message | None
    output: str
    truth: Any  # what the client should hold after the poll (the profile's truth: Trekkpålegg, trekkid -> version)
    truth_watermark: int  # the profile's progress mark, where it has one (Trekkpålegg: highest sekvensnummer)
    exit_known: bool = True  # False for systems polled by hand (mock serve --record)


@dataclass
class ScenarioRun:
    scenario: Scenario
    polls: list[Poll] = field(default_factory=list)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    token_lifetime: int = 120
    setting: Setting = CLIENT
    api: str = "trekkpaalegg"  # the profile whose client is judged
    base_url: str = ""
    token_url: str = ""
    issuer: str = ""


def _profile(api: str) -> Any:
    from conformance.profiles import get

    return get(api)


# Key material is made once per process and shared by the scenarios' mocks: two RSA keys for the vendor's test
# certificate, one for the mock's Maskinporten and two for TLS, made anew for each of ten scenarios, were ~1.4 s
# of a client-check's wall time. Each scenario still registers the client anew (its own client id and kid), and
# its mock has its own issuer (its origin), so a token of one scenario's mock is refused by the next.
@cache
def vendor_pki() -> TestPki:
    """The vendor's test virksomhetssertifikat (its CA, certificate and key): like a vendor's one key."""
    return make_test_pki(ORG)


@cache
def issuer_key() -> rsa.RSAPrivateKey:
    """The signing key of the scenarios' Maskinporten (Maskinporten signs with one key too)."""
    return new_rsa_key()


def register_vendor_client(state: MockState, folder: Path, setting: Setting = CLIENT,
                           scenario: Scenario | None = None, api: str = "trekkpaalegg") -> dict[str, str]:
    """One client usable both ways: the same key as a registered kid and in a test virksomhetssertifikat; in
    systembruker mode also the customer's system user(s) as the scenario sets them up in Altinn. Returns the
    client-check environment contract's variables."""
    profile = _profile(api)
    pki = vendor_pki()
    kid = f"sbs-{uuid.uuid4().hex[:12]}"
    client_id = str(uuid.uuid4())
    state.maskinporten.register_client(RegisteredClient(client_id, ORG, frozenset({profile.scope}),
                                                        keys={kid: pki.leaf_key.public_key()}, system_id=SYSTEM_ID))
    state.maskinporten.trusted_cas.append(pki.ca_cert)
    key_file, cert_file = folder / "client-key.pem", folder / "client-cert.pem"
    key_file.write_bytes(private_key_pem(pki.leaf_key))
    key_file.chmod(0o600)
    cert_file.write_bytes(certificate_pem([pki.leaf_cert, pki.ca_cert]))
    env = {"SBS_API": profile.name, "SBS_CLIENT_ID": client_id, "SBS_KID": kid, "SBS_KEY_FILE": str(key_file),
           "SBS_CERT_FILE": str(cert_file), "SBS_ORG": ORG, "SBS_SCOPE": profile.scope}
    if setting.customer is not None:
        env["SBS_SYSTEMUSER_ORG"] = setting.customer
        if scenario is not None:
            rights = frozenset({profile.altinn_resource}) if profile.altinn_resource else frozenset()
            env.update(scenario.altinn(state.maskinporten, setting, rights))
    if scenario is not None and scenario.env is not None:
        env.update(scenario.env(state, setting))
    return env


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A CA for this run and a server certificate for 127.0.0.1 signed by it: (ca, cert, key) files."""
    paths = folder / "ca.pem", folder / "server-cert.pem", folder / "server-key.pem"
    for path, content in zip(paths, _tls_material(), strict=True):
        path.write_bytes(content)
    paths[2].chmod(0o600)
    return paths


@cache
def _tls_material() -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate, server key) as PEM, made once per process."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, key = new_rsa_key(), new_rsa_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sbs-conformance client-check CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(now + dt.timedelta(days=2))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    return certificate_pem([ca]), certificate_pem([server]), private_key_pem(key)


@contextlib.contextmanager
def scenario_mock(scenario: Scenario, folder: Path, tls: bool = False, record_file: Any = None,
                  setting: Setting = CLIENT, api: str = "trekkpaalegg"
                  ) -> Iterator[tuple[MockState, Any, dict[str, str]]]:
    state = MockState(maskinporten=MockMaskinporten(key=issuer_key()), served=[api])
    state.traffic = []
    state.record_file = record_file
    scenario.setup(state, setting.data_org)
    env = register_vendor_client(state, folder, setting, scenario, api)
    ssl: dict[str, str] = {}
    if tls:
        ca, cert, key = make_tls(folder)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        env["SBS_CA_FILE"] = str(ca)
    with serve(state, **ssl) as running:
        env.update({"SBS_BASE_URL": running.origin + _profile(api).mock_mount, "SBS_TOKEN_URL": running.token_url,
                    "SBS_ISSUER": running.issuer})
        served_env = getattr(_profile(api).clientcheck, "served_env", None)  # inputs that name the mock's URLs
        if served_env is not None:
            env.update(served_env(state, running.origin))
        yield state, running, env


def run_scenario(scenario: Scenario, command: Sequence[str], *, tls: bool = False, timeout: float = 300,
                 run: ScenarioRun | None = None) -> ScenarioRun:
    """Serve the scenario and run the command once per poll. ``run`` (filled as it goes) lets a caller keep
    what was observed when the run is interrupted."""
    run = run or ScenarioRun(scenario)
    setting = run.setting
    truth = _profile(run.api).clientcheck.truth
    with tempfile.TemporaryDirectory(prefix=f"sbs-{scenario.name}-") as tmp:
        folder = Path(tmp)
        state_file = folder / "state.json"
        with scenario_mock(scenario, folder, tls, setting=setting, api=run.api) as (state, running, env):
            run.base_url, run.token_url, run.issuer = env["SBS_BASE_URL"], running.token_url, running.issuer
            run.token_lifetime = state.maskinporten.token_lifetime
            try:
                for number in range(1, scenario.polls + 1):
                    if number > 1 and scenario.between is not None:
                        scenario.between(state, number, setting.data_org)
                    state.poll = number
                    run.polls.append(_poll(number, command, {**env, "SBS_STATE_FILE": str(state_file)}, state_file,
                                           timeout, lambda: truth(state, setting)))
            finally:
                run.traffic = list(state.traffic or [])
    return run


def _end_group(proc: subprocess.Popen[str], grace: float = 2.0) -> None:
    """End the command and everything it started (its process group): SIGTERM, then SIGKILL."""
    if proc.poll() is not None and os.name != "posix":
        return
    if os.name == "posix":
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):  # children that outlived the leader
            os.killpg(proc.pid, signal.SIGKILL)
    else:  # pragma: no cover (Windows: the group cannot be signalled as a whole)
        proc.kill()
        proc.wait(grace)


def start_command(command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the vendor's command in a process group of its own, so that it can be ended as a whole."""
    try:
        return subprocess.Popen(list(command), env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, **own_group())
    except OSError as exc:
        raise ConfigError(f"cannot start the command {command[0]!r}: {exc.strerror or exc}",
                          "give the command of your SBS after --, e.g. -- java -jar sbs.jar") from exc


def _poll(number: int, command: Sequence[str], env: dict[str, str], state_file: Path, timeout: float,
          truth: Any) -> Poll:
    proc = start_command(command, env)
    try:
        output, _ = proc.communicate(timeout=timeout)
        exit_code, output = proc.returncode, (output or "")[-OUTPUT_TAIL:]
    except subprocess.TimeoutExpired:
        _end_group(proc)
        output = (proc.stdout.read() if proc.stdout else "") or ""
        exit_code, output = None, f"timed out after {timeout:.0f} s: {output[-500:]}"
    except BaseException:  # Ctrl-C, SIGTERM: nothing of the command may outlive the run
        _end_group(proc)
        raise
    finally:
        if proc.poll() is None or os.name == "posix":
            _end_group(proc, grace=0.5)  # the leader ended, but something it started may still run
    held, watermark = truth()
    data, problem = None, None
    if state_file.exists():
        try:
            data = json.loads(state_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            problem = Message("cc.state_not_json", {"cause": str(exc)[:120]})
    else:
        problem = Message("cc.no_state_file")
    return Poll(number, exit_code, data, problem, output, held, watermark)


def end_polls_by(state: MockState, scenario: Scenario, ends_poll: Any) -> None:
    """For a system polled by hand: a request that ends a sync (the profile says which: Trekkpålegg, a short page
    answered 200) ends the poll; the scenario's change for the next poll is applied before the next request."""

    def after(entry: dict[str, Any]) -> None:
        if ends_poll(entry):
            if state.poll < scenario.polls and scenario.between is not None:
                scenario.between(state, state.poll + 1, CLIENT.data_org)
            state.poll += 1

    state.after_record = after


def replay_truths(scenario: Scenario, polls: int, api: str = "trekkpaalegg") -> list[tuple[Any, int]]:
    """The truth after each poll, by replaying the deterministic scenario."""
    state, org = MockState(served=[api]), CLIENT.data_org
    truth = _profile(api).clientcheck.truth
    scenario.setup(state, org)
    out = []
    for n in range(1, polls + 1):
        if n > 1 and scenario.between is not None and n <= scenario.polls:
            scenario.between(state, n, org)
        out.append(truth(state, CLIENT))
    return out


def run_from_recording(scenario: Scenario, traffic: list[dict[str, Any]], final_state: dict[str, Any] | None,
                       state_error: Message | None, api: str = "trekkpaalegg") -> ScenarioRun:
    """A ScenarioRun from `mock serve --record` traffic; exit codes are unknown (None) in this mode."""
    numbers = sorted({int(t["poll"]) for t in traffic}) or [1]
    # A sync that ended opened an empty poll: only polls with traffic count.
    truths = replay_truths(scenario, max(numbers), api)
    run = ScenarioRun(scenario, traffic=traffic, api=api)
    for i, n in enumerate(numbers):
        last = i == len(numbers) - 1
        held, watermark = truths[n - 1]
        run.polls.append(Poll(n, None, final_state if last else None,
                              (state_error if last else None), "", held, watermark, exit_known=False))
    return run
