"""What the lookup refuses: no data (404 TKL-007, TKL-009), invalid input (400 TKL-006), an unknown
rettighetspakke (403 or 404)."""

from __future__ import annotations

import pytest

from conformance.messages import Message
from conformance.outcomes import expect
from conformance.profiles.trukketkildeskattpaaloenn.common import lookup_path
from conformance.suite.support import expect_code, expect_error_body, judge_invalid_input, judge_refusal

RP_STATUSES = {"403-or-404": (403, 404), "403": (403,), "404": (404,)}


@pytest.mark.requirement("TKS-NODATA-01")
def test_no_data_is_404_with_its_code(sbs_session, token, check):
    params = sbs_session.params
    c = sbs_session.client
    situations = [("tks.ref.what_no_data", params["person_uten_data"], "007")]
    if params.get("ukjent_person"):
        situations.append(("tks.ref.what_unknown_person", params["ukjent_person"], "009"))
    else:
        check.warn("tks.ref.no_unknown_person")
    for what, person, number in situations:
        situation = Message(what, {"person": person, "year": params["inntektsaar"]})
        response = c.request(lookup_path(sbs_session, person=person))
        expect(response.status_code == 404, "tks.ref.status", what=situation, expected="404",
               got=response.status_code)
        expect_error_body(response, situation)
        expect_code(response, number, situation)


@pytest.mark.requirement("TKS-VAL-01")
def test_invalid_input_is_400(sbs_session, token, check):
    params = sbs_session.params
    person, year = params["personidentifikator"], params["inntektsaar"]
    expected = (400,) if sbs_session.assumed("A-TKS-VALIDATION-400") == "400" else (400, 404)
    cases = [("tks.ref.what_ten_digits", lookup_path(sbs_session, person=person[:10])),
             ("tks.ref.what_letters", lookup_path(sbs_session, person=person[:10] + "A")),
             ("tks.ref.what_year_letters", lookup_path(sbs_session, year=year[:2] + "x1")),
             ("tks.ref.what_three_digit_year", lookup_path(sbs_session, year=year[:3]))]
    judge_invalid_input(check, sbs_session.client, cases, assumption="A-TKS-VALIDATION-400", expected=expected)


@pytest.mark.requirement("TKS-RP-01")
def test_unknown_rettighetspakke_is_refused(sbs_session, token, check):
    expected = RP_STATUSES[sbs_session.assumed("A-TKS-RP-STATUS")]
    response = sbs_session.client.request(lookup_path(sbs_session, package="sbs-finnes-ikke"))
    judge_refusal(check, response, what="tks.ref.what_rettighetspakke", assumption="A-TKS-RP-STATUS",
                  expected=expected)
