"""The four answers for the params' party and period: status, format, schema, the echoed party and period, the
dates inside the period, and the open-claims overview."""

from __future__ import annotations

import pytest

from conformance.messages import Message
from conformance.outcomes import expect
from conformance.profiles.kravogbetalinger.answers import SCHEMAS, answer, body_of, media
from conformance.profiles.kravogbetalinger.common import path
from conformance.profiles.kravogbetalinger.rules import DATE_FIELD, LIST_FIELD, overview_differences


def judge_answer(sbs_session, openapi_schema, check, endpoint: str) -> dict:
    """200 application/json, valid against the schema, for the party asked for, with skjermet a boolean."""
    params = sbs_session.params
    check.step("kob.asked", path=path(sbs_session, endpoint))
    response = answer(sbs_session, endpoint)
    expect(response.status_code == 200, "kob.status", endpoint=endpoint, party=params["part"],
           got=response.status_code)
    expect(media(response) == "application/json", "kob.content_type", got=media(response) or "-")
    try:
        body = response.json()
    except ValueError:
        body = None
    expect(isinstance(body, dict), "kob.not_object", endpoint=endpoint)
    problems = [p.text for p in openapi_schema.problems(body, SCHEMAS[endpoint])]
    expect(not problems, "kob.schema", endpoint=endpoint, problems=problems[:5])
    expect(body.get("partIdentifikator") == params["part"], "kob.echo_party", got=body.get("partIdentifikator"),
           asked=params["part"])
    expect(isinstance(body.get("skjermet"), bool), "kob.skjermet", got=repr(body.get("skjermet")))
    unknown = openapi_schema.unknown_fields(body, SCHEMAS[endpoint])
    if unknown:
        check.warn("kob.unknown_fields", fields=unknown[:5], count=len(unknown))
    return body


def judge_period(sbs_session, body: dict, endpoint: str) -> list:
    """The echoed period is the one asked for; the items of the list."""
    params = sbs_session.params
    asked = {"fraOgMed": params["fra_og_med"], "tilOgMed": params["til_og_med"]}
    got = body.get("periode") or {}
    expect(all(got.get(k) == v for k, v in asked.items()), "kob.echo_period", got=got, asked=asked)
    items = body.get(LIST_FIELD[endpoint]) or []
    return [i for i in items if isinstance(i, dict)]


def judge_dates(sbs_session, check, items: list, endpoint: str) -> None:
    """Every item's date lies in the period (both ends included: A-KOB-PERIOD-RULES)."""
    params = sbs_session.params
    field = DATE_FIELD[endpoint]
    outside = [Message("kob.date_outside", {"field": field, "got": i.get(field)}) for i in items
               if not params["fra_og_med"] <= str(i.get(field)) <= params["til_og_med"]]
    check.step("kob.items", count=len(items), field=field)
    expect(not outside, "kob.dates_outside", problems=outside[:4], count=len(outside),
           fra=params["fra_og_med"], til=params["til_og_med"])


@pytest.mark.requirement("KOB-AAPNE-01")
def test_open_claims(sbs_session, token, openapi_schema, check):
    body = judge_answer(sbs_session, openapi_schema, check, "aapnekrav")
    check.step("kob.open_claims", count=len(body.get("aapentKravMedGjenstaaendeBeloep") or []))


@pytest.mark.requirement("KOB-AAPNE-02")
def test_overview_agrees_with_the_claims(sbs_session, token, check):
    body = body_of(sbs_session, "aapnekrav")
    if sbs_session.assumed("A-KOB-TOTALS") == "not-checked":
        check.observe("A-KOB-TOTALS", True, "not checked")
        return
    differences = overview_differences(body)
    check.expect_assumed("A-KOB-TOTALS", not differences, "differs" if differences else "agrees",
                         "kob.overview_differs", problems=differences[:4], count=len(differences))


@pytest.mark.requirement("KOB-KRAV-01")
def test_claims_of_the_period(sbs_session, token, openapi_schema, check):
    body = judge_answer(sbs_session, openapi_schema, check, "krav")
    items = judge_period(sbs_session, body, "krav")
    check.step("kob.items", count=len(items), field="opprettelsesdatoForKrav")


@pytest.mark.requirement("KOB-INN-01")
def test_payments_of_the_period(sbs_session, token, openapi_schema, check):
    body = judge_answer(sbs_session, openapi_schema, check, "innbetalinger")
    judge_dates(sbs_session, check, judge_period(sbs_session, body, "innbetalinger"), "innbetalinger")


@pytest.mark.requirement("KOB-UTB-01")
def test_payouts_of_the_period(sbs_session, token, openapi_schema, check):
    body = judge_answer(sbs_session, openapi_schema, check, "utbetalinger")
    judge_dates(sbs_session, check, judge_period(sbs_session, body, "utbetalinger"), "utbetalinger")
