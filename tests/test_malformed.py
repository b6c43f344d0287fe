"""Malformed answers are causes, not tracebacks: odd token answers, hostile Retry-After, broken JWKS."""

from __future__ import annotations

import json

import httpx
import pytest
from servers import key_file, raw_server, replies, target_args

from conformance.errors import ConformanceToolError, TokenResponseError
from conformance.http import RetryPolicy, retry_after_seconds, send
from conformance.maskinporten import MaskinportenClient, MaskinportenError, SigningCredential
from conformance.maskinporten.certs import new_rsa_key
from conftest import run_cli

KEY = new_rsa_key()

# (status, body text) -> what the client must make of it: "token" (usable), or the error type and a phrase.
ODD_TOKEN_ANSWERS = [
    (200, "[]", TokenResponseError, "JSON array"),
    (200, '"token"', TokenResponseError, "JSON string"),
    (200, "null", TokenResponseError, "JSON null"),
    (200, "42", TokenResponseError, "JSON number"),
    (200, "{}", TokenResponseError, "without a usable access_token (absent)"),
    (200, '{"access_token": 5}', TokenResponseError, "access_token (number)"),
    (200, '{"access_token": "  "}', TokenResponseError, "access_token (string)"),
    (200, '{"access_token": "x", "expires_in": "abc"}', None, "token"),
    (200, '{"access_token": "x", "expires_in": 1e999}', None, "token"),
    (200, '{"access_token": "x", "expires_in": -5}', None, "token"),
    (200, '{"access_token": "x", "expires_in": null, "token_type": 7, "scope": ["a"]}', None, "token"),
    (200, '{"access_token": "x", "expires_in": 100000000000000000000000000000}', None, "token"),
    (200, '{"access_token": "x", "expires_in": true}', None, "token"),
    (200, "not json at all", ConformanceToolError, "not JSON"),
    (400, "[1]", ConformanceToolError, "not an OAuth error"),
    (400, '{"error": 5}', ConformanceToolError, "not an OAuth error"),
    (400, '{"error": "invalid_grant", "error_description": "x MP-110"}', MaskinportenError, "MP-110"),
]


@pytest.mark.parametrize("status, body, error, phrase", ODD_TOKEN_ANSWERS)
def test_odd_token_answers_are_typed_causes(status, body, error, phrase):
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status, text=body)))
    mp = MaskinportenClient(SigningCredential(KEY, kid="k"), client_id="c", issuer="https://x/",
                            token_url="https://x/token", scopes=["s"], http=http, retry=RetryPolicy(attempts=1))
    if error is None:
        token = mp.token()
        assert token.access_token == "x" and 0 < token.expires_in <= 24 * 3600
        assert token.response == json.loads(body)  # the answer as it came: TP-AUTH-01 judges its shape
        return
    with pytest.raises(error) as info:
        mp.token()
    assert phrase in info.value.one_line()


@pytest.mark.parametrize("value, expected", [("7", 7.0), ("0", 0.0), ("-5", None), ("nan", None), ("inf", None),
                                             ("soon", None), ("", None), (None, None), ("1e400", None)])
def test_retry_after_is_sane_or_ignored(value, expected):
    assert retry_after_seconds(value) == expected


def test_hostile_retry_after_falls_back_to_backoff():
    answers = iter([httpx.Response(429, headers={"Retry-After": "nan"}),
                    httpx.Response(503, headers={"Retry-After": "-5"}), httpx.Response(200, json=[])])
    waits: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: next(answers)))
    response = send(client, client.build_request("GET", "https://api.example/x"),
                    policy=RetryPolicy(attempts=3, backoff=0.25, sleep=waits.append))
    assert response.status_code == 200 and waits == [0.25, 0.5]


def test_a_token_endpoint_answering_an_array_fails_tp_auth_01_and_errors_the_rest(tmp_path):
    with raw_server(replies(200, b"[]")) as server:
        code, results, output = run_cli("run", *target_args(server.url, key_file(tmp_path)), "--retries", "1",
                                        "--lang", "en", "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 1, output  # TP-AUTH-01 is required and failed
    status = {r["id"]: r["status"] for r in results["requirements"]}
    assert status["TP-AUTH-01"] == "failed"
    auth01 = next(c for c in results["checks"] if c["requirements"] == ["TP-AUTH-01"])
    assert "answered 200 with a JSON array" in auth01["message"]
    others = [c for c in results["checks"] if c["status"] == "error"]
    assert others and all("JSON array" in c["message"] for c in others)
    assert "Traceback" not in output and "AttributeError" not in output
