"""Krav og betalinger on the mock, over real HTTP: consent in the Maskinporten token (Altinn 3) and in the
AltinnSamtykke header (Altinn 2), the system user's own party only, both path forms, the period rules shared by
mock, checks and clients, the overview computed from the claims; and whole runs in both rettighetspakker."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import jwt
import pytest

from conformance.maskinporten import MaskinportenClient, MaskinportenError, SigningCredential
from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import CONSENT_HEADER
from conformance.mock import serve
from conformance.mock.altinn import JWK_PATH, TOKEN_PATH
from conformance.mock.credentials import register_client
from conformance.mock.state import MOCK_ORG, seeded_state
from conformance.profiles.kravogbetalinger import CONSENT_RESOURCE, OLD_GATEWAY_ROOT, SCOPE
from conformance.profiles.kravogbetalinger.mock import PART, PART_UTEN_DATA, consent_id
from conformance.profiles.kravogbetalinger.rules import (
    one_year_before,
    one_year_later,
    overview_differences,
    period_problem,
    windows,
)
from conftest import run_cli

API = "kravogbetalinger"


@pytest.fixture
def served():
    state = seeded_state(50, profiles=[API])
    creds = register_client(state, MOCK_ORG, systemuser_orgs=(PART,))
    with serve(state) as running:
        yield state, running, creds


def _tokens(running, creds, **options) -> MaskinportenClient:
    return MaskinportenClient(SigningCredential(creds.private_key, kid=creds.kid), client_id=creds.client_id,
                              issuer=running.issuer, token_url=running.token_url, scopes=[SCOPE], **options)


def _get(running, path: str, token: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{running.origin}/kravogbetalinger/v1{path}", headers={"Authorization": f"Bearer {token}",
                                                                           **headers})


def test_a_consent_travels_in_the_token_and_opens_finans_for_that_party_only(served):
    _state, running, creds = served
    token = _tokens(running, creds, consent_id=consent_id(PART)).access_token()
    [detail] = jwt.decode(token, options={"verify_signature": False})["authorization_details"]
    assert detail["type"] == "urn:altinn:consent" and detail["from"].endswith(f":{PART}")
    assert detail["consentRights"][0]["resource"][0]["value"] == CONSENT_RESOURCE
    assert _get(running, f"/finans/{PART}/aapnekrav", token).status_code == 200
    other = _get(running, f"/finans/{PART_UTEN_DATA}/aapnekrav", token)
    assert other.status_code == 403 and other.json()["kode"] == "KB-005"
    plain = _tokens(running, creds).access_token()
    assert _get(running, f"/finans/{PART}/aapnekrav", plain).json()["kode"] == "KB-005"


@pytest.mark.parametrize("case", ["unknown", "other-org", "expired"])
def test_maskinporten_refuses_a_consent_it_cannot_use(served, case):
    state, running, creds = served
    mp = state.maskinporten
    if case == "unknown":
        consent = "00000000-0000-0000-0000-000000000000"
    elif case == "other-org":
        consent = mp.add_consent(PART, "313367002", CONSENT_RESOURCE).id
    else:
        consent = mp.add_consent(PART, MOCK_ORG, CONSENT_RESOURCE, valid_for=-1).id
    with pytest.raises(MaskinportenError) as caught:
        _tokens(running, creds, consent_id=consent).access_token()
    assert caught.value.error == "invalid_altinn_consent"


def test_the_altinn_samtykke_header_is_verified_by_altinns_key(served):
    state, running, creds = served
    plain = _tokens(running, creds).access_token()
    fetched = httpx.get(running.origin + TOKEN_PATH, params={"AuthCode": consent_id(PART)})
    assert fetched.status_code == 200
    consent_token = fetched.json()
    key = jwt.PyJWK(httpx.get(running.origin + JWK_PATH).json()["keys"][0]).key
    assert jwt.decode(consent_token, key, algorithms=["RS256"])["OfferedBy"] == PART
    assert _get(running, f"/finans/{PART}/aapnekrav", plain, **{CONSENT_HEADER: consent_token}).status_code == 200
    claims = jwt.decode(consent_token, options={"verify_signature": False})
    forged = jwt.encode(claims, new_rsa_key(), algorithm="RS256")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, state.maskinporten.samtykke.key, algorithm="RS256")
    for bad in (forged, expired):
        answer = _get(running, f"/finans/{PART}/aapnekrav", plain, **{CONSENT_HEADER: bad})
        assert answer.status_code == 403 and answer.json()["kode"] == "KB-005"
    assert httpx.get(running.origin + TOKEN_PATH, params={"AuthCode": "nope"}).status_code == 400


def test_regnskapssystem_reads_the_system_users_own_party_on_both_path_forms(served):
    _state, running, creds = served
    token = _tokens(running, creds, systemuser_org=PART).access_token()
    new = _get(running, f"/regnskapssystem/{PART}/aapnekrav", token)
    old = httpx.get(f"{running.origin}{OLD_GATEWAY_ROOT}/regnskapssystem/{PART}/aapnekrav",
                    headers={"Authorization": f"Bearer {token}"})
    assert new.status_code == old.status_code == 200
    assert new.json()["aapentKravMedGjenstaaendeBeloep"] == old.json()["aapentKravMedGjenstaaendeBeloep"]
    assert overview_differences(new.json()) == []
    other = _get(running, f"/regnskapssystem/{PART_UTEN_DATA}/aapnekrav", token)
    assert other.status_code == 403 and other.json()["kode"] == "KB-005"
    own_org = _tokens(running, creds).access_token()  # not a system user's token
    assert _get(running, f"/regnskapssystem/{PART}/aapnekrav", own_org).status_code == 403


def test_periods_are_judged_by_one_rule():
    assert period_problem("2023-01-01", "2023-12-31") is None
    assert period_problem("2023-01-01", "2024-01-01") == "longer than one year"
    assert period_problem("2023-02-01", "2023-01-01") == "fraOgMed after tilOgMed"
    assert period_problem("20230101", "2023-12-31") == "malformed date"
    assert period_problem(None, "2023-12-31") == "missing fraOgMed"
    assert windows(dt.date(2022, 1, 1), dt.date(2024, 12, 31)) == [
        (dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in (2022, 2023, 2024)]
    assert windows(dt.date(2024, 2, 29), dt.date(2025, 3, 1))[0][1] == dt.date(2025, 2, 28)
    for day in (dt.date(2023, 1, 1), dt.date(2023, 7, 15), dt.date(2024, 2, 29)):  # the longest period, both ways
        assert period_problem(one_year_before(day).isoformat(), day.isoformat()) is None
        assert period_problem((one_year_before(day) - dt.timedelta(days=1)).isoformat(), day.isoformat())
        assert one_year_before(one_year_later(day)) == day


def test_the_overview_disagrees_with_the_claims_only_under_its_fault():
    from conformance.mock import Faults

    state = seeded_state(50, profiles=[API], faults=Faults.of(["kob-totals-wrong"]))
    creds = register_client(state, MOCK_ORG, systemuser_orgs=(PART,))
    with serve(state) as running:
        token = _tokens(running, creds, systemuser_org=PART).access_token()
        body = _get(running, f"/regnskapssystem/{PART}/aapnekrav", token).json()
    assert [d.split(":")[0] for d in overview_differences(body)] == ["totalOversikt.saldo"]


def test_a_run_with_finans_passes_and_says_why_su_01_did_not_run(tmp_path):
    code, results, output = run_cli("run", "--api", API, "--param", "rettighetspakke=finans", "--no-pdf",
                                    "--lang", "en", "--out", str(tmp_path / "o"))
    assert code == 0, output
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses.pop("KOB-SU-01") == "skipped" and set(statuses.values()) == {"passed"}
    su = next(c for c in results["checks"] if c["requirements"] == ["KOB-SU-01"])
    assert "finans, not regnskapssystem" in su["message"]
    assert all("/finans/" in u for c in results["checks"] if c["requirements"] == ["KOB-AAPNE-01"]
               for u in [x["url"] for x in c["exchanges"]] if "aapnekrav" in u)


def test_a_real_target_needs_the_party_and_period(tmp_path):
    key = tmp_path / "key.pem"
    from conformance.maskinporten.certs import private_key_pem

    key.write_bytes(private_key_pem(new_rsa_key()))
    code, _, output = run_cli("run", "--api", API, "--target", "test", "--client-id", "c", "--key", str(key),
                              "--kid", "k", "--org", "310702641", "--out", str(tmp_path / "o"))
    assert code == 2 and "needs --param part, part_uten_data, fra_og_med, til_og_med" in output, output
