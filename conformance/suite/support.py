"""Helpers the checks share: error-body judgement, error codes, sampling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from lxml import etree

from conformance.codecs import FEIL_NS, error_fields, local_name, parsed
from conformance.errorcodes import KODE_PATTERN
from conformance.messages import Message
from conformance.outcomes import expect


def error_body_problems(response: httpx.Response, xml: bool = False) -> list[Message]:
    """Problems with an error body's shape ``{kode, melding, korrelasjonsid}`` (JSON), or with ``xml`` the ``feil``
    element in its namespace (feil.xsd); empty when right."""
    where = {"status": response.status_code, "method": response.request.method, "path": response.request.url.path}
    ctype = response.headers.get("content-type", "?")
    if xml:
        found = parsed(ctype, response.text)
        if found is None or found[0].name != "xml":
            return [Message("api.err.body_not_xml", {**where, "content_type": ctype})]
        root = found[1]
        if local_name(root.tag) != "feil" or etree.QName(root.tag).namespace != FEIL_NS:
            return [Message("api.err.body_not_feil", {**where, "root": str(root.tag), "ns": FEIL_NS})]
        body: Any = error_fields(ctype, response.text)
    else:
        try:
            body = response.json()
        except ValueError:
            return [Message("api.err.body_not_json", {**where, "content_type": ctype})]
    if not isinstance(body, dict):
        return [Message("api.err.body_not_object", {**where, "got": type(body).__name__})]
    out = [Message("api.err.body_lacks", {**where, "field": key}) for key in ("kode", "melding", "korrelasjonsid")
           if not isinstance(body.get(key), str) or not body.get(key)]
    if isinstance(body.get("kode"), str) and not KODE_PATTERN.match(body["kode"]):
        out.append(Message("api.err.kode_shape", {**where, "kode": body["kode"]}))
    return out


def expect_error_body(response: httpx.Response, what: str | Message, xml: bool = False) -> None:
    """The documented error body in situation ``what`` (a message id or Message): :func:`error_body_problems`."""
    problems = error_body_problems(response, xml)
    expect(not problems, "api.err.in_situation", what=what if isinstance(what, Message) else Message(what),
           problems=problems)


def judge_refusal(check: Any, response: httpx.Response, *, what: str | Message, assumption: str,
                  expected: Sequence[int], served_is_assumption: bool = False, body: bool = True,
                  xml: bool = False) -> None:
    """A request the service must refuse (situation ``what``, a message id). What the documentation decides is a
    failure: a 5xx (the service failed), an answer that serves the request anyway (unless the documentation is
    silent on that too: ``served_is_assumption``), and an error body without the documented shape. Which refusal
    status it gets is the named ``assumption``: another one is a warning naming it."""
    status = response.status_code
    situation = what if isinstance(what, Message) else Message(what)
    expect(status < 500, "api.err.server_error", what=situation, got=status)
    if not served_is_assumption:
        expect(status >= 400, "api.err.served", what=situation, got=status)
    shown = " / ".join(map(str, expected)) if len(expected) < 10 else "4xx"
    check.expect_assumed(assumption, status in expected, status, "api.err.wrong_status", what=situation,
                         expected=shown, got=status)
    if body:
        expect_error_body(response, situation, xml)


ANY_4XX = tuple(range(400, 500))


def judge_invalid_input(check: Any, client: Any, cases: Sequence[tuple[str, str]], *, assumption: str,
                        expected: Sequence[int]) -> None:
    """Requests with invalid input (``(situation, path)``): each a refusal (:func:`judge_refusal`), and where it is
    the 400 of input validation, with the API's code for it (``-006`` in the standard table)."""
    for what, path in cases:
        response = client.request(path)
        judge_refusal(check, response, what=what, assumption=assumption, expected=expected)
        if response.status_code == 400:
            expect_code(response, "006", Message(what))


def expect_error(response: httpx.Response, what: str | Message, status: int,
                 message_id: str = "api.err.status_in") -> None:
    """A refusal the documentation decides: not a 5xx, exactly ``status``, with the documented error body."""
    situation = what if isinstance(what, Message) else Message(what)
    expect(response.status_code < 500, "api.err.server_error", what=situation, got=response.status_code)
    expect(response.status_code == status, message_id, what=situation, expected=str(status),
           got=response.status_code)
    expect_error_body(response, situation)


def error_kode(response: httpx.Response) -> str | None:
    """The ``kode`` of an error body (JSON or the XML feil element), if there is one."""
    from conformance.codecs import error_fields

    fields = error_fields(response.headers.get("content-type", ""), response.text)
    kode = fields.get("kode") if fields else None
    return kode if isinstance(kode, str) else None


def expect_code(response: httpx.Response, number: str, what: str | Message) -> None:
    """The error body's code ends in ``-<number>`` (e.g. ``-007``: the API's own prefix, whichever it is)."""
    kode = error_kode(response)
    expect(kode is not None and kode.endswith(f"-{number}"), "api.err.wrong_code",
           what=what if isinstance(what, Message) else Message(what), wanted=f"-{number}", got=kode or "-")


def sample(items: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` items, spread evenly (first and last included), deterministic."""
    if len(items) <= limit:
        return list(items)
    step = (len(items) - 1) / (limit - 1) if limit > 1 else 0
    return [items[round(i * step)] for i in range(limit)]
