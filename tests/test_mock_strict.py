"""The mock as a strict, robust server (issue 10 §5) and `mock serve`'s Altinn data, over real HTTP."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from conformance.evidence import Evidence
from conformance.http import RetryPolicy
from conformance.maskinporten import MaskinportenClient, SigningCredential
from conformance.maskinporten.certs import load_private_key
from conformance.maskinporten.grant import GRANT_TYPE, build_grant, decode_unverified
from conformance.mock import serve
from conformance.mock import server as mock_server
from conformance.mock.state import Behaviour
from conformance.profiles.trekkpaalegg import SCOPE
from conformance.profiles.trekkpaalegg.client import TrekkpaaleggClient
from conformance.profiles.trekkpaalegg.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, data
from conftest import mp_client

LIST = "/api/trekkpaalegg/v1"
HUGE = "9" * 5000


def _bearer(mock, creds):
    return {"Authorization": f"Bearer {mp_client(mock, creds).access_token()}"}


@pytest.mark.parametrize("path,params", [
    (LIST, {"fraSekvensnummer": HUGE, "maksAntall": "10"}),
    (LIST, {"fraSekvensnummer": "0", "maksAntall": HUGE}),
    (LIST, {"fraSekvensnummer": "0", "maksAntall": str(2**63)}),  # one over int64
    (LIST, {"fraSekvensnummer": "-1", "maksAntall": "10"}),
    (LIST, {"fraSekvensnummer": "0", "maksAntall": "1e3"}),
    (f"{LIST}/T1/{HUGE}", None),
    (f"{LIST}/T1/{2**63}", None),
])
def test_a_value_that_is_no_int64_is_a_400_with_an_error_body_and_the_connection_lives(mock, creds, path, params):
    with httpx.Client(base_url=mock.base_url, headers=_bearer(mock, creds)) as client:
        response = client.get(path, params=params)
        assert response.status_code == 400, response.text
        assert response.json()["kode"] == "KB-006" and response.json()["melding"]  # the validation code
        assert client.get(LIST).status_code == 200  # the same keep-alive connection still answers


def test_the_largest_int64_is_a_valid_value(mock, creds):
    response = httpx.get(mock.base_url + LIST, params={"fraSekvensnummer": str(2**63 - 1), "maksAntall": "10"},
                         headers=_bearer(mock, creds))
    assert response.status_code == 200 and response.json() == []


class _Broken:
    """A store whose every read fails: an unexpected error inside the application."""

    def __getattr__(self, name):
        raise RuntimeError("disk on fire")


def test_an_unexpected_error_is_a_500_with_the_001_body_not_bare_text(state, mock, creds):
    data(state).stores[EXAMPLES_ORG] = _Broken()
    korrelasjonsid = str(uuid.uuid4())
    response = httpx.get(mock.base_url + LIST, headers={**_bearer(mock, creds), "Korrelasjonsid": korrelasjonsid})
    assert response.status_code == 500 and response.headers["content-type"].startswith("application/json")
    assert response.json() == {"kode": "KB-001", "melding": response.json()["melding"],
                               "korrelasjonsid": korrelasjonsid}
    assert "disk on fire" not in response.text


def test_an_incoming_korrelasjonsid_is_echoed_and_a_bad_one_replaced(mock):
    mine = str(uuid.uuid4())
    assert httpx.get(mock.base_url + LIST, headers={"Korrelasjonsid": mine}).json()["korrelasjonsid"] == mine
    unknown = httpx.get(mock.base_url + "/api/nosuch", headers={"korrelasjonsid": mine}).json()
    assert unknown["korrelasjonsid"] == mine
    replaced = httpx.get(mock.base_url + LIST, headers={"Korrelasjonsid": "not-a-uuid"}).json()["korrelasjonsid"]
    assert replaced != "not-a-uuid" and uuid.UUID(replaced)


def test_the_suite_sends_a_fresh_korrelasjonsid_per_call_and_retry_and_the_evidence_shows_it(state, mock, creds):
    state.behaviour = Behaviour(transient={1: (503, None)})
    evidence = Evidence()
    mp = mp_client(mock, creds, evidence)
    client = TrekkpaaleggClient(mock.base_url, mp.access_token, evidence=evidence,
                                retry=RetryPolicy(attempts=2, backoff=0.0))
    client.hent_side(0, 5)
    client.hent_side(0, 5)
    calls = [e for e in evidence.exchanges if e.kind == "api"]
    assert [e.status for e in calls] == [503, 200, 200]
    sent = [e.request_headers.get("Korrelasjonsid") or e.request_headers.get("korrelasjonsid") for e in calls]
    assert all(uuid.UUID(s) for s in sent) and len(set(sent)) == 3  # a retry is a new call
    assert [e.korrelasjonsid for e in calls] == sent  # the mock echoed the 503's; the 200s show the sent one
    client.close()


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (recv returns b"") before ``seconds`` pass."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_idle_connections_time_out_used_or_not(state):
    with serve(state, idle_timeout=0.5) as running:
        host, port = running.base_url.removeprefix("http://").split(":")
        never_used = socket.create_connection((host, int(port)))
        kept_alive = socket.create_connection((host, int(port)))
        kept_alive.sendall(b"GET /jwk HTTP/1.1\r\nHost: x\r\n\r\n")
        assert kept_alive.recv(65536).startswith(b"HTTP/1.1 200")
        assert _closed_within(never_used, 10) and _closed_within(kept_alive, 10)


def test_a_flood_of_idle_sockets_does_not_stop_a_new_client(state, monkeypatch):
    monkeypatch.setattr(mock_server, "MAX_CONNECTIONS", 20)
    with serve(state) as running:
        host, port = running.base_url.removeprefix("http://").split(":")
        flood = [socket.create_connection((host, int(port))) for _ in range(60)]
        try:
            response = httpx.get(running.base_url + "/jwk", timeout=10)
            assert response.status_code == 200
            assert _closed_within(flood[0], 10)  # the oldest idle ones made room
        finally:
            for s in flood:
                s.close()


# -- mock serve: system users, delegations, token lifetime ------------------------------------------

@contextlib.contextmanager
def mock_serve(tmp_path, *args):
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "mock", "serve", "--port", "0",
                             "--orgs", "examples", "empty", "generated:20", "--credentials-dir", str(tmp_path),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        assert "Press Ctrl-C" in text, text
        yield text
    finally:
        proc.terminate()
        proc.wait(10)


def _client(text, tmp_path, **kw):
    origin = re.search(r"API trekkpaalegg: (http://[0-9.:]+)/", text).group(1)
    client_id, kid = re.search(r"kid:  client id (\S+), kid (\S+),", text).groups()
    credential = SigningCredential(load_private_key(tmp_path / "kid" / "client-key.pem"), kid=kid)
    return origin, MaskinportenClient(credential, client_id=client_id, issuer=origin + "/",
                                      token_url=origin + "/token", scopes=[SCOPE], **kw)


def test_mock_serve_systemuser_delegation_and_token_lifetime(tmp_path):
    args = ["--systemuser", f"{EMPTY_ORG}", "--systemuser", f"{GENERATED_ORG}:ske-informasjon-om-trekkpaalegg:avd-2",
            "--delegation", f"{EXAMPLES_ORG}:{GENERATED_ORG}", "--token-lifetime", "300"]
    with mock_serve(tmp_path, *args) as text:
        assert f"delegation:   {GENERATED_ORG} delegated skatteetaten:trekkpaalegg to {EXAMPLES_ORG}" in text
        assert "tokens live 300 s" in text
        origin, mp = _client(text, tmp_path)
        assert mp.token().expires_in == 300
        # System users: the one registered, and only it; the externalRef selects the second customer's.
        empty = mp.with_options(systemuser_org=EMPTY_ORG).access_token()
        assert httpx.get(origin + LIST, headers={"Authorization": f"Bearer {empty}"}).json() == []
        with_ref = mp.with_options(systemuser_org=GENERATED_ORG, external_ref="avd-2").access_token()
        detail = decode_unverified(with_ref)[1]["authorization_details"][0]
        assert detail["externalRef"] == "avd-2" and detail["systemuser_org"]["ID"] == f"0192:{GENERATED_ORG}"
        refused = httpx.post(origin + "/token", data={"grant_type": GRANT_TYPE, "assertion": mp.with_options(
            systemuser_org=GENERATED_ORG).build_grant()})  # no externalRef: no such system user
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_altinn_customer_configuration"
        # Delegation: the token names the consumer and the supplier, and serves the consumer's data.
        grant = build_grant(mp.credential, client_id=mp.client_id, issuer=mp.issuer, scopes=[SCOPE])
        claims = decode_unverified(grant)[1]
        delegated = _grant_with(mp, {**claims, "consumer_org": GENERATED_ORG})
        answer = httpx.post(origin + "/token", data={"grant_type": GRANT_TYPE, "assertion": delegated})
        assert answer.status_code == 200, answer.text
        token = decode_unverified(answer.json()["access_token"])[1]
        assert token["consumer"]["ID"] == f"0192:{GENERATED_ORG}" and token["supplier"]["ID"] == f"0192:{EXAMPLES_ORG}"
        items = httpx.get(origin + LIST, headers={"Authorization": f"Bearer {answer.json()['access_token']}"}).json()
        assert items and {i["trekkpliktig"] for i in items} == {GENERATED_ORG}
        not_delegated = _grant_with(mp, {**claims, "jti": str(uuid.uuid4()), "consumer_org": EMPTY_ORG})
        answer = httpx.post(origin + "/token", data={"grant_type": GRANT_TYPE, "assertion": not_delegated})
        assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
        assert answer.json()["error_uri"].endswith("/errors/MP-251")


def _grant_with(mp, claims):
    import jwt

    claims = {**claims, "iat": int(time.time()), "exp": int(time.time()) + 60}
    return jwt.encode(claims, mp.credential.private_key, algorithm="RS256", headers=mp.credential.header())


def test_mock_serve_rejects_bad_systemuser_and_delegation_specs(tmp_path):
    for args, word in ((["--systemuser", "12345"], "--systemuser"), (["--delegation", "310702641"], "--delegation"),
                       (["--token-lifetime", "0"], "--token-lifetime")):
        result = subprocess.run([sys.executable, "-m", "conformance.cli", "mock", "serve", "--port", "0",
                                 "--credentials-dir", str(tmp_path), *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2 and word in result.stderr, result.stderr


# -- one send per response ---------------------------------------------------------------------------

class _Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_what_one_turn_writes_leaves_in_one_write_when_the_loop_turns_and_nothing_is_lost_or_reordered():
    import asyncio

    async def scenario() -> list[list[bytes]]:
        seen = []
        plain = _Recording()
        transport = mock_server._CoalescingTransport(plain, asyncio.get_running_loop())
        transport.write(b"HEAD")
        transport.write(b"BODY")  # the body follows the head in the same turn
        seen.append(list(plain.writes))  # nothing sent yet
        await asyncio.sleep(0)
        seen.append(list(plain.writes))  # the loop turned: one write
        transport.write(b"ALONE")
        await asyncio.sleep(0)
        seen.append(list(plain.writes))
        transport.write(b"LAST")
        transport.close()  # what was written before close is sent first
        seen.append(list(plain.writes))
        assert plain.closed and transport.get_extra_info("peername") == "info:peername"
        aborted = _Recording()
        other = mock_server._CoalescingTransport(aborted, asyncio.get_running_loop())
        other.write(b"DROPPED")
        other.abort()
        await asyncio.sleep(0)
        assert aborted.aborted and aborted.writes == []
        return seen

    held, first, alone, closed = asyncio.run(scenario())
    assert held == [] and first == [b"HEADBODY"]
    assert alone == [b"HEADBODY", b"ALONE"]
    assert closed == [b"HEADBODY", b"ALONE", b"LAST"]


def test_pipelined_requests_are_answered_whole_and_in_order(mock, creds):
    token = mp_client(mock, creds).access_token()
    host, port = mock.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        request = f"GET /jwk HTTP/1.1\r\nHost: x\r\n\r\nGET {LIST}/10001/1 HTTP/1.1\r\nHost: x\r\n" \
                  f"Authorization: Bearer {token}\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        assert data.index(b'"keys"') < data.index(b'"trekkid"')
