"""Redaction: by name and by registered value, in headers, URLs, form and JSON bodies, JWTs and PEM; the body's
beginning kept in the evidence."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.evidence import MAX_BODY_CHARS, Evidence, Redactor, kept_body
from conformance.http import send


def test_by_name_and_by_value():
    r = Redactor()
    r.register("s3cret-token-value", "access_token")
    assert r.headers({"Authorization": "Bearer x", "X-Other": "has s3cret-token-value"}) == {
        "Authorization": "[REDACTED]", "X-Other": "has [REDACTED:access_token]"}
    body = json.loads(r.body(json.dumps({"access_token": "a", "nested": {"note": "s3cret-token-value"}}),
                             "application/json"))
    assert body == {"access_token": "[REDACTED]", "nested": {"note": "[REDACTED:access_token]"}}
    assert r.body("grant_type=x&assertion=abc", "application/x-www-form-urlencoded") == \
        "grant_type=x&assertion=%5BREDACTED%5D"
    assert "s3cret" not in r.text("https://h/p?t=s3cret-token-value")


def test_a_body_with_a_registered_token_key_line_or_other_secret_is_never_kept_as_it_came():
    r = Redactor()
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    r.register(token, "access_token")
    r.register("plain-secret-42", "client_secret")
    r.register("-----BEGIN PRIVATE KEY-----\n" + "A" * 64 + "\n" + "B" * 64 + "\n-----END PRIVATE KEY-----\n",
               "private_key")
    for leaked in (token, "plain-secret-42", "B" * 64):
        for body in (json.dumps({"note": f"x {leaked} y"}), f"<a>{leaked}</a>"):
            assert leaked not in r.body(body, "application/json" if body[0] == "{" else "application/xml")
    assert r.body('{"note": "nothing secret"}', "application/json") == '{"note": "nothing secret"}'


def test_shapes_are_redacted_even_unregistered():
    r = Redactor()
    text = r.text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl and -----BEGIN PRIVATE KEY-----\nMIIB\n"
                  "-----END PRIVATE KEY-----")
    assert "eyJ" not in text and "MIIB" not in text


def test_recorded_exchange_is_redacted_and_attributed():
    evidence = Evidence()
    evidence.redactor.register("tok-abcdefgh", "access_token")
    http = httpx.Client(transport=httpx.MockTransport(
        lambda req: httpx.Response(404, json={"kode": "KB-009", "melding": "m", "korrelasjonsid": "k-1"})))
    with evidence.check("suite::test_a"):
        send(http, http.build_request("GET", "https://api.example/x?token=tok-abcdefgh",
                                      headers={"Authorization": "Bearer tok-abcdefgh"}), evidence)
    [summary] = evidence.for_check("suite::test_a")
    assert summary["korrelasjonsid"] == "k-1" and summary["status"] == 404
    [exchange] = list(evidence.iter_exchanges())
    assert exchange.check == "suite::test_a" and "tok-abcdefgh" not in json.dumps(exchange.to_dict())


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", "[" + "\u00e9\u20ac\U0001f600" * 120_000 + "]"),  # 2-, 3- and 4-byte characters
    ("application/json; charset=utf-16", "[\"x\u20ac\"]" * 60_000),
    ("text/plain; charset=latin-1", "\u00e6\u00f8\u00e5" * 100),
    ("application/json", "kort"),
    ("text/plain; charset=iso2022_jp", "\u65e5a" * 150_000),  # 4.5 bytes a character: decoded on as needed
    ("application/json", ""),
])
def test_the_kept_beginning_is_what_text_decodes(content_type, body):
    codec = content_type.split("charset=")[1] if "charset=" in content_type else "utf-8"
    for content in (body.encode(codec), body.encode(codec)[:-1], b"\xff\xfe[" * 70_000):
        response = httpx.Response(200, content=content, headers={"content-type": content_type})
        kept, _ = kept_body(response)
        assert not hasattr(response, "_text")  # the whole body was not decoded (and kept) to take its beginning
        assert kept == response.text[:MAX_BODY_CHARS]


def test_a_long_body_keeps_its_first_characters():
    page = b"[" + b'{"trekkid":"1"},' * 200_000 + b"{}]"  # 3.2 MB: more than 4 bytes for each kept character
    response = httpx.Response(200, content=page, headers={"content-type": "application/json"})
    assert kept_body(response, limit=1000) == (page[:1000].decode(), True)


@pytest.mark.parametrize(("content", "charset", "cut"), [
    (b"x" * 1000, "utf-8", False),  # exactly the characters kept: the whole body
    (b"x" * 1001, "utf-8", True),
    ("\u20ac".encode() * 1001, "utf-8", True),  # within the first 4 * limit bytes, one character more
    (b"x" * 5000, "utf-8", True),  # bytes left after the first 4 * limit
    ("\u65e5a".encode("iso2022_jp") * 500, "iso2022_jp", False),  # decoded on: 1000 characters, all kept
    ("\u65e5a".encode("iso2022_jp") * 501, "iso2022_jp", True),
    (b"", "utf-8", False),
])
def test_the_kept_beginning_says_whether_it_is_the_whole_body(content, charset, cut):
    response = httpx.Response(200, content=content, headers={"content-type": f"text/plain; charset={charset}"})
    text, was_cut = kept_body(response, limit=1000)
    assert text == response.text[:1000] and was_cut is cut


def test_a_streamed_list_is_recorded_with_its_whole_size_and_its_beginning_written_as_free_text():
    from conformance.identifiers import first_fnr
    from conformance.outputs import har_entry
    from conformance.privacy import Pseudonymiser

    fnr = first_fnr(1, 81, 90, 0)
    page = ('[' + ",".join(f'{{"trekkid": "{i}", "skyldner": "{fnr}"}}' for i in range(20_000)) + "]").encode()

    class Sink:
        def write(self, chunk):
            pass

        def reset(self):
            pass

    evidence = Evidence()
    http = httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(
        200, content=page, headers={"content-type": "application/json"})))
    send(http, http.build_request("GET", "https://api.example/list"), evidence, consume=Sink())
    send(http, http.build_request("GET", "https://api.example/list"), evidence)  # read whole, kept in part
    pseudo = Pseudonymiser()
    for e in evidence.iter_exchanges():
        assert e.response_size == len(page) and e.response_cut and len(e.response_body) <= MAX_BODY_CHARS
        content = har_entry(e, pseudo)["response"]["content"]
        assert content["size"] == len(page) and f"{len(page):,} bytes" in content["comment"]
        assert fnr not in content["text"] and content["text"].startswith('[{"trekkid": "0", "skyldner": "fnr-')


def test_a_whole_body_is_recorded_as_whole():
    from conformance.outputs import har_entry
    from conformance.privacy import Pseudonymiser

    evidence = Evidence()
    http = httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(200, json=[{"melding": "Æøå"}])))
    send(http, http.build_request("GET", "https://api.example/x"), evidence)
    [e] = list(evidence.iter_exchanges())
    content = har_entry(e, Pseudonymiser())["response"]["content"]
    assert not e.response_cut and content["size"] == len('[{"melding":"Æøå"}]'.encode()) and "comment" not in content
