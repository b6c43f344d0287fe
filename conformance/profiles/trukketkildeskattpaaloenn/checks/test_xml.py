"""The XML answer: the documented namespace, the XML mapping, and the same content as the JSON answer."""

from __future__ import annotations

import pytest

from conformance.codecs import parsed
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.profiles.trukketkildeskattpaaloenn.answers import json_answer, media, xml_answer

SCHEMA = "TrukketKildeskattPaaLoenn"
FIELDS = ("personidentifikator", "inntektsaar", "skjermet")
MONTH_FIELDS = ("maaned", "grunnlagForSkattetrekk", "skattetrekk", "samletRapportertLoennsinntekt")


def _same(a, b) -> bool:
    return str(a).lower() == str(b).lower()  # 2021 and "2021", False and "false": the same value in both formats


@pytest.mark.requirement("TKS-XML-01")
def test_xml_answer_is_the_json_answer(sbs_session, token, openapi_schema, check):
    response = xml_answer(sbs_session)
    expect(response.status_code == 200, "tks.xml.status", got=response.status_code)
    expect(media(response) in ("application/xml", "text/xml"), "tks.xml.content_type", got=media(response) or "-")
    found = parsed("application/xml", response.text)
    expect(found is not None and found[0].name == "xml", "tks.xml.not_xml")
    instance, mapping, unknown = openapi_schema.from_xml(found[1], SCHEMA)
    expect(not mapping, "tks.xml.mapping", problems=mapping)
    problems = [p.text for p in openapi_schema.problems(instance, SCHEMA)]
    expect(not problems, "tks.xml.schema", problems=problems[:5])
    if unknown:  # Skatteetaten adds elements without notice and advises against strict XSD validation
        check.warn("tks.xml.unknown_elements", elements=unknown[:5], count=len(unknown))
    as_json = json_answer(sbs_session)
    if as_json.status_code != 200:
        skip("tks.xml.no_json", status=as_json.status_code)
    body = as_json.json()
    differences = [Message("tks.xml.differs", {"field": f, "xml": instance.get(f), "json": body.get(f)})
                   for f in FIELDS if not _same(instance.get(f), body.get(f))]
    xml_months = instance.get("trekkinformasjonPerMaaned") or []
    json_months = body.get("trekkinformasjonPerMaaned") or []
    if len(xml_months) != len(json_months):
        differences.append(Message("tks.xml.month_count", {"xml": len(xml_months), "json": len(json_months)}))
    for xm, jm in zip(xml_months, json_months, strict=False):
        for f in MONTH_FIELDS:
            if not _same(xm.get(f), jm.get(f)):
                differences.append(Message("tks.xml.differs", {"field": f"{jm.get('maaned')} {f}", "xml": xm.get(f),
                                                               "json": jm.get(f)}))
    expect(not differences, "tks.xml.not_same", problems=differences[:4], count=len(differences))
    check.step("tks.xml.compared", months=len(xml_months))
