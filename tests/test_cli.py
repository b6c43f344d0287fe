"""The CLI end to end over real HTTP on 127.0.0.1: credentials of every kind, bad input, a dead target."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from conformance.mock import seeded_state, serve
from conformance.mock.credentials import register_client
from conformance.profiles.trekkpaalegg.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG
from conftest import run_cli


@pytest.fixture
def served():
    state = seeded_state(30)
    with serve(state) as running:
        yield state, running


def _target(running, org=EXAMPLES_ORG):
    return ["--target", "mock", "--base-url", running.base_url, "--token-url", running.token_url,
            "--issuer", running.issuer, "--org", org]


def _assert_passed(code, results, output):
    assert code == 0, output
    bad = {r["id"]: r["status"] for r in results["requirements"] if r["status"] not in ("passed", "skipped")}
    assert bad == {}, output
    assert results["format"] == "sbs-conformance/results/2" and results["verdict"] == "passed"


def test_external_mock_with_pem_key_and_kid(served, tmp_path):
    state, running = served
    creds = register_client(state, EXAMPLES_ORG, systemuser_orgs=(EMPTY_ORG,))
    files = creds.write(tmp_path / "c")
    code, results, output = run_cli("run", *_target(running), "--empty-org", EMPTY_ORG, "--client-id",
                                    creds.client_id, "--key", str(files["key"]), "--kid", creds.kid,
                                    "--out", str(tmp_path / "out"))
    _assert_passed(code, results, output)
    assert results["target"]["embedded_mock"] is False
    assert results["target"]["base_url"] == running.base_url and results["target"]["credential"] == \
        "registered key (kid)"
    status = {r["id"]: r for r in results["requirements"]}
    # Mock-only means of the embedded mock are not available against a served one: skipped with a reason.
    assert status["TP-AUTH-06"]["status"] == "skipped" and "--slow" in status["TP-AUTH-06"]["reason"]
    assert status["TP-EMPTY-01"]["status"] == "passed"
    for name in ("results.json", "junit.xml", "report.html"):
        assert (tmp_path / "out" / name).exists()


def test_external_mock_with_x5c_certificate_chain(served, tmp_path):
    state, running = served
    creds = register_client(state, EXAMPLES_ORG, use_x5c=True)
    files = creds.write(tmp_path / "c")
    code, results, output = run_cli("run", *_target(running), "--client-id", creds.client_id,
                                    "--key", str(files["key"]), "--cert", str(files["cert"]),
                                    "--out", str(tmp_path / "out"))
    _assert_passed(code, results, output)
    assert results["target"]["credential"] == "PEM certificate chain (x5c)"


def test_external_mock_with_pkcs12_and_systembruker(served, tmp_path, monkeypatch):
    state, running = served
    creds = register_client(state, "991825827", use_x5c=True, systemuser_orgs=(GENERATED_ORG,))
    p12 = tmp_path / "virksomhet.p12"
    password = "Xq7-vinter-2026!"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"v", creds.private_key, creds.chain[0],
                                                          list(creds.chain[1:]),
                                                          BestAvailableEncryption(password.encode())))
    monkeypatch.setenv("SBS_CONFORMANCE_PKCS12_PASSWORD", password)
    code, results, output = run_cli("run", *_target(running, GENERATED_ORG), "--systemuser", "--client-id",
                                    creds.client_id, "--pkcs12", str(p12), "--out", str(tmp_path / "out"))
    _assert_passed(code, results, output)
    assert results["target"]["authentication"].startswith("alternativ 2")
    for name in ("results.json", "report.html", "junit.xml"):
        assert password not in (tmp_path / "out" / name).read_text()


def test_embedded_run_in_english_with_empty_org_as_target(tmp_path):
    code, results, output = run_cli("run", "--org", EMPTY_ORG, "--lang", "en", "--out", str(tmp_path / "out"))
    assert code == 0, output
    status = {r["id"]: r for r in results["requirements"]}
    assert status["TP-EMPTY-01"]["status"] == "passed"
    assert status["TP-LIST-03"]["status"] == "skipped" and "no test data yet" in status["TP-LIST-03"]["reason"]
    assert status["TP-LIST-03"]["title"].startswith("Every trekkpålegg")
    assert "Test summary" in (tmp_path / "out" / "report.html").read_text()


def test_unreachable_target_exits_3_with_an_error_verdict(tmp_path):
    key = tmp_path / "k.pem"
    from conformance.maskinporten.certs import new_rsa_key, private_key_pem

    key.write_bytes(private_key_pem(new_rsa_key()))
    dead = "http://127.0.0.1:9"
    code, results, output = run_cli("run", "--base-url", dead, "--token-url", f"{dead}/token", "--issuer", f"{dead}/",
                                    "--client-id", "c", "--key", str(key), "--kid", "k", "--org", EXAMPLES_ORG,
                                    "--retries", "1", "--lang", "en", "--out", str(tmp_path / "out"))
    assert code == 3, output
    assert results["verdict"] == "error" and results["error"]["kind"] == "environment"
    assert "connection refused" in output and "Traceback" not in output


def test_killed_token_endpoint_exits_3(tmp_path):
    """The mock serves in a child process that is killed: the token endpoint disappears."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "mock", "serve", "--port", "0", "--credentials-dir",
                             str(tmp_path / "creds")], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        command = next(ln.strip() for ln in lines if "--kid" in ln and ln.strip().startswith("sbs-conformance run"))
        base_url = re.search(r"--base-url (\S+)", command).group(1)
        assert httpx.get(base_url + "/.well-known/oauth-authorization-server").status_code == 200
        assert "issuer:" in text and "token URL:" in text and "API trekkpaalegg: http" in text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    args = command.split()[2:]
    code, results, output = run_cli("run", *args, "--retries", "1", "--out", str(tmp_path / "out"))
    assert code == 3, output
    assert results["verdict"] == "error"


@pytest.mark.parametrize("args, message", [
    (["--target", "test"], "missing --client-id"),
    (["--target", "test", "--client-id", "c", "--org", "123456789", "--key", "k.pem", "--kid", "k"], "not a valid"),
    (["--target", "test", "--client-id", "c", "--org", EXAMPLES_ORG, "--key", "missing.pem", "--kid", "k"],
     "file not found"),
    (["--target", "test", "--client-id", "c", "--org", EXAMPLES_ORG, "--pkcs12", "x.p12", "--issuer",
      "https://maskinporten.no/"], "production URLs"),
    (["--concurrency", "9"], "outside 1..5"),
    (["--mock-fault", "nosuch"], "unknown --mock-fault"),
])
def test_bad_configuration_exits_2_with_cause_and_hint(args, message, tmp_path):
    (tmp_path / "x.p12").write_bytes(b"x")
    (tmp_path / "k.pem").write_bytes(b"x")
    code, _, output = run_cli("run", *args, cwd=tmp_path)
    assert code == 2
    assert message in output and "hint:" in output and "Traceback" not in output


def test_unknown_config_key_is_named_with_a_suggestion(tmp_path):
    cfg = tmp_path / "sbs.toml"
    cfg.write_text('targt = "mock"\n')
    code, _, output = run_cli("run", "--config", str(cfg))
    assert code == 2 and "unknown key 'targt'" in output and "did you mean 'target'" in output


def test_pytest_arguments_pass_through_and_empty_selection_is_usage_error(tmp_path):
    code, results, output = run_cli("run", "--out", str(tmp_path / "o"), "--", "-k", "test_no_token")
    assert code == 5, output  # a partial run is incomplete, never a pass
    ran = [r for r in results["requirements"] if r["status"] != "not_run"]
    assert [r["id"] for r in ran] == ["TP-AUTH-03"] and results["verdict"] == "incomplete"
    code, _, output = run_cli("run", "--", "-k", "nothing_matches_this")
    assert code == 2 and "did not run" in output


def test_mock_serve_rejects_bad_orgs(tmp_path):
    code, _, output = run_cli("mock", "serve", "--orgs", "123456789=empty", cwd=tmp_path)
    assert code == 2 and "not a valid organisation number" in output


def test_interrupt_writes_a_partial_marked_report(tmp_path):
    """Ctrl-C during a long check: exit 130, and a report marked interrupted with what ran so far."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--out", str(out), "--org", GENERATED_ORG,
                             "--mock-size", "5000", "--", "-k", "first_page or paging_to_completion"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while (char := proc.stdout.read(1)) != ".":  # the first check is done; page size 1 over 5000 items is long
        assert char, "the run ended before its first check"
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130, output
    results = __import__("json").loads((out / "results.json").read_text())
    status = {r["id"]: r["status"] for r in results["requirements"]}
    assert results["verdict"] == "interrupted"
    assert status["TP-PAGE-01"] == "passed"
