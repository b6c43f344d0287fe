"""What the service refuses: invalid periods (400 KB-006), no data (404 KB-007, KB-009), a missing or wrong consent
(finans, 403 KB-005), another party than the system user's (regnskapssystem, 403)."""

from __future__ import annotations

import pytest

from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.profiles.kravogbetalinger.common import client_for, path
from conformance.suite.support import ANY_4XX, expect_code, expect_error, expect_error_body, judge_invalid_input


@pytest.mark.requirement("KOB-PERIOD-01")
def test_invalid_periods_are_400(sbs_session, token, check):
    p = sbs_session.params
    fra, til = p["fra_og_med"], p["til_og_med"]
    later = f"{int(fra[:4]) + 1}{fra[4:]}"  # one year and a day: one day too long
    expected = (400,) if sbs_session.assumed("A-KOB-PERIOD-RULES") == "inclusive-one-year" else ANY_4XX
    cases = [("kob.what_long", path(sbs_session, "krav", fra=fra, til=later)),
             ("kob.what_reversed", path(sbs_session, "innbetalinger", fra=til, til=fra)),
             ("kob.what_malformed", path(sbs_session, "utbetalinger", fra=fra.replace("-", ""), til=til)),
             ("kob.what_no_fra", path(sbs_session, "krav", fra=None))]
    judge_invalid_input(check, sbs_session.client, cases, assumption="A-KOB-PERIOD-RULES", expected=expected)


@pytest.mark.requirement("KOB-NODATA-01")
def test_no_data_is_404_with_its_code(sbs_session, token, check):
    p = sbs_session.params
    other = client_for(sbs_session, p["part_uten_data"])
    if other is None:
        check.warn("kob.no_consent_uten_data")
    else:
        situation = Message("kob.what_no_data", {"party": p["part_uten_data"]})
        response = other.request(path(sbs_session, "krav", party=p["part_uten_data"]))
        if response.status_code == 200:  # a 200 with empty lists: A-KOB-NODATA-404 decides
            try:
                listed = (response.json() or {}).get("krav")
            except ValueError:
                listed = None
            expect(not listed, "kob.no_data_listed", party=p["part_uten_data"], count=len(listed or []))
            check.expect_assumed("A-KOB-NODATA-404", sbs_session.assumed("A-KOB-NODATA-404") == "404-or-empty-200",
                                 "200 []", "kob.no_data_200", party=p["part_uten_data"])
        else:
            check.observe("A-KOB-NODATA-404", response.status_code == 404, response.status_code)
            expect_error(response, situation, 404)
            expect_code(response, "007", situation)
    if not p.get("ukjent_part"):
        check.warn("kob.no_unknown_party")
        return
    situation = Message("kob.what_unknown_party", {"party": p["ukjent_part"]})
    response = sbs_session.client.request(path(sbs_session, "aapnekrav", party=p["ukjent_part"]))
    lenient = sbs_session.assumed("A-KOB-UNKNOWN-PARTY") == "403-or-404"
    if response.status_code == 403 and lenient:
        check.observe("A-KOB-UNKNOWN-PARTY", False, 403)
        return
    check.expect_assumed("A-KOB-UNKNOWN-PARTY", response.status_code == 404, response.status_code,
                         "api.err.status_in", what=situation, expected="404", got=response.status_code)
    expect_error_body(response, situation)
    expect_code(response, "009", situation)



@pytest.mark.requirement("KOB-CONSENT-01")
def test_finans_needs_the_partys_consent(sbs_session, token, check):
    p = sbs_session.params
    if not p.get("samtykke"):
        skip("kob.no_consent_param")
    party = p["part"]
    finans = path(sbs_session, "aapnekrav", package="finans")
    plain = sbs_session.token_client(systemuser_org=None, consent_id=None)
    without = sbs_session.api(plain.access_token).request(finans)
    expect_error(without, Message("kob.what_no_consent", {"party": party}), 403)
    expect_code(without, "005", Message("kob.what_no_consent", {"party": party}))
    consent = sbs_session.token_client(systemuser_org=None, consent_id=p["samtykke"])
    with_consent = sbs_session.api(consent.access_token)
    response = with_consent.request(finans)
    expect(response.status_code == 200, "kob.consent_refused", party=party, got=response.status_code)
    other = p["part_uten_data"]
    response = with_consent.request(path(sbs_session, "aapnekrav", package="finans", party=other))
    expect_error(response, Message("kob.what_other_consent", {"party": other, "consented": party}), 403)
    check.observe("A-KOB-CONSENT-TOKEN", True, "in-token")


@pytest.mark.requirement("KOB-SU-01")
def test_regnskapssystem_reads_only_its_system_users_party(sbs_session, token, check):
    p = sbs_session.params
    if p["rettighetspakke"] != "regnskapssystem":
        skip("kob.su_not_used", package=p["rettighetspakke"])
    party, other = p["part"], p["part_uten_data"]
    own = sbs_session.client.request(path(sbs_session, "aapnekrav"))
    expect(own.status_code == 200, "kob.su_own_refused", party=party, got=own.status_code)
    response = sbs_session.client.request(path(sbs_session, "aapnekrav", party=other))
    what = Message("kob.what_other_party", {"party": other, "own": party})
    expect(response.status_code < 500, "api.err.server_error", what=what, got=response.status_code)
    if response.status_code == 200:  # the test environment lets every test business be read
        check.expect_assumed("A-KOB-PILOT-OWN-ONLY", sbs_session.assumed("A-KOB-PILOT-OWN-ONLY") == "any-test-party",
                             200, "kob.su_other_served", party=other, own=party)
        return
    check.observe("A-KOB-PILOT-OWN-ONLY", response.status_code == 403, response.status_code)
    expect_error(response, what, 403)
