"""MaskinportenClient and TrekkpaaleggClient: caching, typed errors, the loop rule, retries as evidence."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from conformance.apiclient import ApiError, UnexpectedBody
from conformance.errors import TargetEnvironmentError
from conformance.evidence import Evidence
from conformance.http import RetryPolicy
from conformance.maskinporten import MaskinportenClient, MaskinportenError, SigningCredential
from conformance.maskinporten.certs import load_pkcs12
from conformance.maskinporten.grant import decode_unverified
from conformance.mock import Faults
from conformance.mock.credentials import register_client
from conformance.profiles.trekkpaalegg.client import TrekkpaaleggClient
from conformance.profiles.trekkpaalegg.mock import EXAMPLES_ORG
from conftest import mp_client


def test_token_is_cached_until_shortly_before_expiry(mock, creds, state, monkeypatch):
    import time as real_time

    import conformance.maskinporten.client as client_module

    class Clock:  # the client's clock only; the mock keeps real time
        now = real_time.time()

        @classmethod
        def time(cls):
            return cls.now

    monkeypatch.setattr(client_module, "time", Clock)
    mp = mp_client(mock, creds)
    token = mp.token()
    assert mp.access_token() == token.access_token and mp.grants_sent == 1 and state.maskinporten.tokens_issued == 1
    Clock.now = token.expires_at - 20  # outside the refresh margin (10 s): still cached
    assert mp.access_token() == token.access_token and mp.grants_sent == 1
    Clock.now = token.expires_at - 5  # inside it: renewed
    assert mp.access_token() != token.access_token and mp.grants_sent == 2


def test_refused_grant_is_a_typed_error_with_the_mp_code(mock, creds):
    mp = mp_client(mock, creds, scopes=["skatteetaten:ukjent"])
    with pytest.raises(MaskinportenError) as info:
        mp.access_token()
    err = info.value
    assert (err.status, err.error, err.mp_code) == (400, "invalid_scope", "MP-200")
    assert "skatteetaten:trekkpaalegg" in err.hint and err.exit_code == 2


def test_pkcs12_credential_gives_x5c_token(mock, state, tmp_path):
    creds = register_client(state, EXAMPLES_ORG, use_x5c=True)
    p12 = tmp_path / "virksomhet.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"test", creds.private_key, creds.chain[0], list(creds.chain[1:]),
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).BestAvailableEncryption(b"pw")))
    key, chain = load_pkcs12(p12, b"pw")
    mp = MaskinportenClient(SigningCredential(key, x5c=tuple(chain)), client_id=creds.client_id, issuer=mock.issuer,
                            token_url=mock.token_url, scopes=["skatteetaten:trekkpaalegg"])
    assert decode_unverified(mp.access_token())[1]["client_amr"] == "virksomhetssertifikat"


def test_unreachable_and_failing_token_endpoint_are_environment_errors(creds):
    dead = MaskinportenClient(SigningCredential(creds.private_key, kid=creds.kid), client_id="c",
                              issuer="http://127.0.0.1:9/", token_url="http://127.0.0.1:9/token", scopes=["s"],
                              retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(TargetEnvironmentError, match="connection refused"):
        dead.access_token()
    failing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(502, text="bad gateway")))
    mp = MaskinportenClient(SigningCredential(creds.private_key, kid=creds.kid), client_id="c", issuer="https://x/",
                            token_url="https://x/token", scopes=["s"], http=failing, retry=RetryPolicy(attempts=1))
    with pytest.raises(TargetEnvironmentError, match="HTTP 502"):
        mp.access_token()


def test_secrets_are_registered_and_never_recorded(mock, creds):
    evidence = Evidence()
    mp = mp_client(mock, creds, evidence)
    token = mp.access_token()
    TrekkpaaleggClient(mock.base_url, mp.access_token, evidence=evidence).hent_alle()
    dumped = str([e.to_dict() for e in evidence.exchanges])
    assert token in evidence.redactor.secrets and token not in dumped
    assert "assertion=%5BREDACTED%5D" in evidence.exchanges[0].request_body
    assert evidence.exchanges[1].request_headers["authorization"] == "[REDACTED]"


def test_iter_sider_follows_the_loop_rule(api):
    pages = list(api.iter_sider(3))
    assert [len(p.items) for p in pages] == [3, 3, 3, 1]
    assert [p.fra for p in pages] == [0, 101, 350, 430]
    assert [i["trekkid"] for i in api.iter_alle(5)] == [i["trekkid"] for i in api.hent_alle()]
    exact = list(api.iter_sider(5))  # 10 items: a full last page needs one more, empty page
    assert [len(p.items) for p in exact] == [5, 5, 0]


def test_iterator_is_lazy(api):
    pages = api.iter_sider(1)
    next(pages)
    assert len(api.evidence.for_check(None)) == 2  # token + one page, nothing more yet


def test_version_errors_are_typed(api):
    assert api.hent_versjon("10003", 1)["sekvensnummer"] == 80
    with pytest.raises(ApiError) as info:
        api.hent_versjon("10003", 9)
    assert info.value.status == 404 and info.value.feil["kode"] == "KB-009"


def test_paging_that_does_not_advance_is_detected(state, creds):
    state.faults = Faults.of(["inclusive-fra"])
    from conformance.mock import serve

    with serve(state) as running:
        client = TrekkpaaleggClient(running.base_url, mp_client(running, creds).access_token)
        with pytest.raises(UnexpectedBody, match="does not advance"):
            list(client.iter_alle(1))


def test_retries_honour_retry_after_and_are_all_evidence():
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"}),
                    httpx.Response(200, json=[])])
    waits = []
    evidence = Evidence()
    http = httpx.Client(transport=httpx.MockTransport(lambda r: next(answers)))
    client = TrekkpaaleggClient("https://api.example", lambda: "tok-123456789", evidence=evidence, http=http,
                                retry=RetryPolicy(attempts=3, backoff=0.5, sleep=waits.append))
    assert client.hent_alle() == []
    assert waits == [0.5, 7.0]
    assert [(e.status, e.attempt) for e in evidence.exchanges] == [(503, 1), (429, 2), (200, 3)]


def test_list_that_is_not_an_array_is_unexpected():
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"a": 1})))
    with pytest.raises(UnexpectedBody, match="expected an array"):
        TrekkpaaleggClient("https://api.example", None, http=http).hent_alle()
