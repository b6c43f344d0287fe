"""sbs-conformance doctor: each problem is found and explained, with the right exit code."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from conformance.doctor import Doctor, exit_code
from conformance.maskinporten.certs import certificate_pem, make_test_pki, private_key_pem
from conformance.mock import seeded_state, serve
from conformance.mock.credentials import register_client
from conformance.profiles.trekkpaalegg.mock import EXAMPLES_ORG
from conformance.settings import resolve
from conftest import run_cli


@pytest.fixture
def served():
    state = seeded_state(0)
    with serve(state) as running:
        yield state, running


def settings_for(running, tmp_path, creds=None, key=None, cert=None, **extra):
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(private_key_pem(key or creds.private_key))
    cli = {"base_url": running.base_url, "token_url": running.token_url, "issuer": running.issuer,
           "client_id": creds.client_id if creds else "c", "org": EXAMPLES_ORG, "key": str(key_file), **extra}
    if cert is not None or (creds and creds.chain):
        cert_file.write_bytes(certificate_pem(list(cert or creds.chain)))
        cli["cert"] = str(cert_file)
    else:
        cli["kid"] = creds.kid
    return resolve(cli, env={})


def levels(findings):
    return {f.topic: f.level for f in findings}


def test_good_setup_is_all_ok(served, tmp_path):
    state, running = served
    findings = Doctor(settings_for(running, tmp_path, register_client(state, EXAMPLES_ORG, use_x5c=True))).run()
    assert set(levels(findings).values()) == {"OK"} and exit_code(findings) == 0
    assert {"configuration", "certificate", "API", "Maskinporten", "clock", "token"} <= set(levels(findings))


def test_certificate_of_another_organisation_is_explained(served, tmp_path):
    state, running = served
    creds = register_client(state, "974761076", use_x5c=True)
    findings = Doctor(settings_for(running, tmp_path, creds)).run()
    cert = [f for f in findings if f.topic == "certificate" and f.level == "WARN" and "--org" in f.text]
    assert cert and "974761076 is not --org 310702641" in cert[0].text and "--systemuser" in cert[0].fix


def test_expired_certificate_fails(served, tmp_path):
    _, running = served
    old = make_test_pki(EXAMPLES_ORG, valid_days=10, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    findings = Doctor(settings_for(running, tmp_path, key=old.leaf_key, cert=(old.leaf_cert,))).run()
    assert any(f.level == "FAIL" and "expired on 2020-01-11" in f.text for f in findings)
    assert exit_code(findings) == 2


def test_key_not_matching_certificate_fails(served, tmp_path):
    _, running = served
    a, b = make_test_pki(EXAMPLES_ORG), make_test_pki(EXAMPLES_ORG)
    findings = Doctor(settings_for(running, tmp_path, key=a.leaf_key, cert=(b.leaf_cert,))).run()
    assert levels(findings)["credential"] == "FAIL"
    assert any("does not belong" in f.text for f in findings)


def test_clock_skew_fails_with_the_offset(served, tmp_path):
    state, running = served
    settings = settings_for(running, tmp_path, register_client(state, EXAMPLES_ORG))
    findings = Doctor(settings, now=lambda: time.time() + 40).run()
    clock = next(f for f in findings if f.topic == "clock")
    assert clock.level == "FAIL" and ("+39." in clock.text or "+40." in clock.text), clock.text
    assert "NTP" in clock.fix


def test_unreachable_host_exits_3(tmp_path):
    key = tmp_path / "k.pem"
    key.write_bytes(private_key_pem(make_test_pki(EXAMPLES_ORG).leaf_key))
    code, _, output = run_cli("doctor", "--base-url", "http://127.0.0.1:9", "--token-url", "http://127.0.0.1:9/token",
                              "--issuer", "http://127.0.0.1:9/", "--client-id", "c", "--key", str(key), "--kid", "k",
                              "--org", EXAMPLES_ORG)
    assert code == 3 and "FAIL  API" in output and "connection refused" in output and "fix:" in output


def test_refused_token_is_explained(served, tmp_path):
    state, running = served
    creds = register_client(state, EXAMPLES_ORG, scopes=("skatteetaten:annet",))
    findings = Doctor(settings_for(running, tmp_path, creds)).run()
    token = next(f for f in findings if f.topic == "token")
    assert token.level == "FAIL" and "MP-200" in token.text and "skatteetaten:trekkpaalegg" in token.fix
