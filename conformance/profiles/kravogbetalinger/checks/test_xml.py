"""The XML answer: valid by the document's XML mapping (namespace: A-KOB-XML-NS), the same content as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.codecs import parsed
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.profiles.kravogbetalinger.answers import XML, answer, media

SCHEMA = "AapneKrav"


def differences(xml: Any, json: Any, unknown: set[str], where: str = "$") -> list[Message]:
    """Where two values differ, element by element (numbers and texts compared as values: 10000.0 == "10000.0");
    fields the document does not know (``unknown``, JSON paths) are not compared: they may come in one format only."""
    if isinstance(json, dict):
        if not isinstance(xml, dict):
            return [Message("kob.xml_differs", {"field": where, "xml": repr(xml)[:40], "json": "{...}"})]
        out = []
        for key, value in json.items():
            if f"{where}.{key}" not in unknown:
                out += differences(xml.get(key), value, unknown, f"{where}.{key}")
        return out
    if isinstance(json, list):
        xs = xml if isinstance(xml, list) else ([] if xml is None else [xml])
        if len(xs) != len(json):
            return [Message("kob.xml_count", {"field": where, "xml": len(xs), "json": len(json)})]
        return [d for i, (x, j) in enumerate(zip(xs, json, strict=True))
                for d in differences(x, j, unknown, f"{where}[{i}]")]
    same = str(xml).lower() == str(json).lower() or _number(xml) == _number(json) is not None
    return [] if same else [Message("kob.xml_differs", {"field": where, "xml": xml, "json": json})]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@pytest.mark.requirement("KOB-XML-01")
def test_xml_answer_is_the_json_answer(sbs_session, token, openapi_schema, check):
    response = answer(sbs_session, "aapnekrav", XML)
    expect(response.status_code == 200, "kob.xml_status", got=response.status_code)
    expect(media(response) in ("application/xml", "text/xml"), "kob.content_type", got=media(response) or "-")
    found = parsed("application/xml", response.text)
    expect(found is not None and found[0].name == "xml", "kob.xml_not_xml")
    instance, mapping, unknown = openapi_schema.from_xml(found[1], SCHEMA)
    if mapping:  # the namespace is undocumented: A-KOB-XML-NS
        check.expect_assumed("A-KOB-XML-NS", sbs_session.assumed("A-KOB-XML-NS") == "any" and all(
            "root element" in m and "aapneKrav" in m for m in mapping), mapping[0], "kob.xml_mapping",
            problems=mapping)
    else:
        check.observe("A-KOB-XML-NS", True, "datasamarbeid")
    problems = [p.text for p in openapi_schema.problems(instance, SCHEMA)]
    expect(not problems, "kob.xml_schema", problems=problems[:5])
    if unknown:
        check.warn("kob.xml_unknown_elements", elements=unknown[:5], count=len(unknown))
    as_json = answer(sbs_session, "aapnekrav")
    if as_json.status_code != 200:
        skip("kob.xml_no_json", status=as_json.status_code)
    body = as_json.json()
    found_differences = differences(instance, body, set(openapi_schema.unknown_fields(body, SCHEMA)))
    expect(not found_differences, "kob.xml_not_same", problems=found_differences[:4], count=len(found_differences))
    check.step("kob.xml_compared")
