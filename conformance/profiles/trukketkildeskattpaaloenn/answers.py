"""The answers the Trukket kildeskatt checks judge, fetched once per run: the params' person and year in JSON and
in XML (every check that uses one relies on its call)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.trukketkildeskattpaaloenn.common import lookup_path

XML = "application/xml"


def json_answer(target: Any) -> Any:
    return target.once("json-answer", lambda: target.client.request(lookup_path(target)))


def xml_answer(target: Any) -> Any:
    return target.once("xml-answer", lambda: target.client.request(lookup_path(target), headers={"Accept": XML}))


def media(response: Any) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()
