"""The mock's semantics, over real HTTP on 127.0.0.1: Maskinporten and the Trekkpålegg API."""

from __future__ import annotations

import threading
import time
import tracemalloc
import uuid

import httpx
import jwt
import pytest

from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import GRANT_TYPE, decode_unverified
from conformance.mock import Faults
from conformance.mock.credentials import OTHER_SCOPE, register_client
from conformance.profiles.trekkpaalegg import SCOPE
from conformance.profiles.trekkpaalegg.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, data, org_specs
from conformance.profiles.trekkpaalegg.store import GeneratedStore, MemoryStore, examples_store
from conftest import mp_client

LIST = "/api/trekkpaalegg/v1"


def token_for(mock, creds, **kw):
    return mp_client(mock, creds, **kw).access_token()


def get(mock, path=LIST, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(mock.base_url + path, headers=headers, **kw)


# -- Maskinporten ------------------------------------------------------------------------------------

def test_metadata_and_jwks_verify_issued_token(mock, creds):
    meta = httpx.get(mock.base_url + "/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == mock.issuer and meta["issuer"].endswith("/")
    assert meta["token_endpoint"] == mock.token_url
    assert meta["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "RS384", "RS512"]
    token = token_for(mock, creds)
    key = jwt.PyJWKSet.from_dict(httpx.get(meta["jwks_uri"]).json()).keys[0]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=mock.issuer)
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{EXAMPLES_ORG}"}
    assert claims["client_amr"] == "private_key_jwt" and claims["client_id"] == creds.client_id
    assert claims["scope"] == SCOPE and claims["token_type"] == "Bearer" and claims["exp"] - claims["iat"] == 120
    assert "aud" not in claims and claims["jti"]


def test_x5c_client_gets_virksomhetssertifikat_amr(mock, state):
    creds = register_client(state, EXAMPLES_ORG, use_x5c=True)
    claims = decode_unverified(token_for(mock, creds))[1]
    assert claims["client_amr"] == "virksomhetssertifikat"


def test_systembruker_token_carries_authorization_details(mock, creds):
    token = mp_client(mock, creds).with_options(systemuser_org=EMPTY_ORG).access_token()
    details = decode_unverified(token)[1]["authorization_details"][0]
    assert details["systemuser_org"]["ID"] == f"0192:{EMPTY_ORG}"
    assert isinstance(details["systemuser_id"], list) and details["system_id"].startswith(EXAMPLES_ORG)


def test_token_endpoint_rejections_are_form_and_json(mock, creds):
    wrong_type = httpx.post(mock.token_url, data={"grant_type": "client_credentials", "assertion": "x"})
    assert wrong_type.status_code == 400 and wrong_type.json()["error"] == "unsupported_grant_type"
    no_assertion = httpx.post(mock.token_url, data={"grant_type": GRANT_TYPE})
    assert no_assertion.json()["error"] == "invalid_request"
    mp = mp_client(mock, creds)
    grant = mp.build_grant()
    first = httpx.post(mock.token_url, data={"grant_type": GRANT_TYPE, "assertion": grant})
    replay = httpx.post(mock.token_url, data={"grant_type": GRANT_TYPE, "assertion": grant})
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant", "error_description": "Invalid assertion. Grant is used before",
                             "error_uri": f"{mock.origin}/errors/MP-012"}


# -- API: authentication ----------------------------------------------------------------------------

def test_no_token_tampered_expired_and_wrong_scope(mock, creds, state):
    assert get(mock).status_code == 401
    assert get(mock, headers={"Authorization": "Basic abc"}).status_code == 401
    token = token_for(mock, creds)
    assert get(mock, token=token[:-3] + "abc").status_code == 401
    foreign = jwt.encode(decode_unverified(token)[1], new_rsa_key(), algorithm="RS256")
    assert get(mock, token=foreign).status_code == 401
    expired = state.maskinporten.mint(client_id=creds.client_id, org=EXAMPLES_ORG, scope=SCOPE,
                                      now=time.time() - 300)
    assert get(mock, token=expired).status_code == 401
    other = token_for(mock, creds, scopes=[OTHER_SCOPE])
    response = get(mock, token=other)
    assert response.status_code == 403 and response.json()["kode"] == "KB-005"


def test_organisation_comes_from_systemuser_else_consumer(mock, creds):
    mp = mp_client(mock, creds)
    assert len(get(mock, token=mp.access_token()).json()) == 10
    assert get(mock, token=mp.with_options(systemuser_org=EMPTY_ORG).access_token()).json() == []
    generated = get(mock, token=mp.with_options(systemuser_org=GENERATED_ORG).access_token()).json()
    assert len(generated) == 50 and {i["trekkpliktig"] for i in generated} == {GENERATED_ORG}


# -- API: list and paging ---------------------------------------------------------------------------

def test_list_has_latest_version_per_trekkid_in_sekvensnummer_order(mock, creds):
    items = get(mock, token=token_for(mock, creds)).json()
    assert [(i["trekkid"], i["trekkversjon"]) for i in items][:4] == [
        ("10001", 1), ("10002", 1), ("10003", 2), ("10004", 2)]
    assert len({i["trekkid"] for i in items}) == len(items) == 10
    assert {i["trekkpliktig"] for i in items} == {EXAMPLES_ORG}


def test_fra_sekvensnummer_is_exclusive_and_loop_rule_terminates(mock, creds):
    token = token_for(mock, creds)
    page = get(mock, token=token, params={"fraSekvensnummer": 101, "maksAntall": 3}).json()
    assert [i["sekvensnummer"] for i in page] == [159, 228, 350]
    assert get(mock, token=token, params={"fraSekvensnummer": 555, "maksAntall": 3}).json() == []
    assert len(get(mock, token=token, params={"fraSekvensnummer": 0, "maksAntall": 100}).json()) == 10


@pytest.mark.parametrize("params", [
    {"fraSekvensnummer": 0}, {"maksAntall": 5}, {"fraSekvensnummer": 0, "maksAntall": 0},
    {"fraSekvensnummer": -1, "maksAntall": 5}, {"fraSekvensnummer": 0, "maksAntall": "x"},
    {"fraSekvensnummer": "1.5", "maksAntall": 5}])
def test_invalid_paging_parameters_give_400_with_error_body(mock, creds, params):
    response = get(mock, token=token_for(mock, creds), params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["kode"] == "KB-006" and body["melding"] and uuid.UUID(body["korrelasjonsid"])


# -- API: versions, errors, formats -----------------------------------------------------------------

def test_version_endpoint_returns_exactly_that_version(mock, creds):
    token = token_for(mock, creds)
    for v, seq in ((1, 271), (2, 290), (3, 301), (4, 350)):
        item = get(mock, f"{LIST}/10006/{v}", token=token).json()
        assert (item["trekkversjon"], item["sekvensnummer"]) == (v, seq)
    for path, status, number in ((f"{LIST}/10006/5", 404, "009"), (f"{LIST}/10006/0", 404, "009"),
                                 (f"{LIST}/ukjent/1", 404, "009"), (f"{LIST}/10006/abc", 400, "006"),
                                 (f"{LIST}/a/b/c", 404, "003"), ("/api/annet", 404, "003")):
        response = get(mock, path, token=token)
        assert (response.status_code, response.json()["kode"]) == (status, f"KB-{number}"), path


@pytest.mark.parametrize("accept, status", [("application/xml", 406), ("text/html, application/xml;q=0.9", 406),
                                            ("application/json;q=0", 406), ("application/json, */*", 200),
                                            ("*/*", 200), ("application/*", 200), (None, 200)])
def test_accept_header(mock, creds, accept, status):
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(mock.base_url + LIST, headers={"Authorization": f"Bearer {token_for(mock, creds)}", **headers})
    assert response.status_code == status
    if status == 406:
        assert response.json()["kode"] == "KB-008"


def test_every_error_has_a_fresh_korrelasjonsid(mock):
    ids = {get(mock).json()["korrelasjonsid"] for _ in range(5)}
    assert len(ids) == 5


def test_error_prefix_is_configurable(state, mock):
    data(state).error_prefix = "TP"
    assert get(mock).json()["kode"] == "TP-004"


def test_more_than_five_concurrent_calls_get_429(state, mock, creds):
    token = token_for(mock, creds)
    for _ in range(5):  # five calls "in flight" already
        assert state.enter("trekkpaalegg", EXAMPLES_ORG)
    try:
        response = get(mock, token=token)
        assert response.status_code == 429 and response.headers["retry-after"] == "1"
    finally:
        for _ in range(5):
            state.leave("trekkpaalegg", EXAMPLES_ORG)
    assert get(mock, token=token).status_code == 200


def test_legacy_headers_are_tolerated(mock, creds):
    headers = {"KlientId": "NAV/0.1", "Korrelasjonsid": str(uuid.uuid4()), "Meldingsid": str(uuid.uuid4())}
    assert get(mock, token=token_for(mock, creds), headers=headers).status_code == 200


def test_concurrent_clients_are_served(mock, creds):
    token = token_for(mock, creds)
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(mock, token=token).status_code)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4


# -- State ------------------------------------------------------------------------------------------

def test_examples_store_holds_every_published_version():
    store = examples_store(EXAMPLES_ORG)
    assert store.count() == 10
    assert sum(store.latest_version_number(str(t)) for t in range(10001, 10011)) == 19
    assert store.version("10006", 4)["sekvensnummer"] == 350 and store.version("10006", 5) is None


def test_memory_store_hands_out_copies_and_keeps_its_rules():
    store = MemoryStore([{"trekkid": "1", "saksnummer": "a", "perioder": [{"x": 1}]}])
    served = store.latest()[0]
    served["perioder"][0]["x"] = 2  # a fault switch changes what it serves ...
    served["saksnummer"] = "b"
    assert store.latest() == [{"trekkid": "1", "saksnummer": "a", "perioder": [{"x": 1}],
                               "sekvensnummer": 1, "trekkversjon": 1}]  # ... never the store
    assert store.add({"trekkid": "1"})["trekkversjon"] == 2
    assert [i["sekvensnummer"] for i in store.latest()] == [2] and store.version("1", 1)["saksnummer"] == "a"
    with pytest.raises(ValueError, match="not above"):
        store.add({"trekkid": "2", "sekvensnummer": 2})
    with pytest.raises(ValueError, match="after 2 versions"):
        store.add({"trekkid": "1", "trekkversjon": 5})
    with pytest.raises(TypeError):  # a value JSON cannot hold is refused when added, not when served
        store.add({"trekkid": "3", "beloep": {1.5}})
    assert store.count() == 1 and store.latest_version_number("1") == 2 and store.latest_version_number("3") is None


def test_generated_store_is_deterministic_consistent_and_light():
    tracemalloc.start()
    store = GeneratedStore("314961900", 100_000, seed=7)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40_000_000, f"generator used {peak / 1e6:.1f} MB"
    assert store.count() == 100_000
    page = store.latest(0, 1000)
    seqs = [i["sekvensnummer"] for i in page]
    assert seqs == sorted(seqs) and len(page) == 1000
    assert store.latest(0, 5) == GeneratedStore("314961900", 100_000, seed=7).latest(0, 5)
    last = store.latest(store.next_seq - 2)
    assert len(last) == 1 and store.latest(store.next_seq - 1) == []
    item = page[500]
    n = item["trekkversjon"]
    assert store.version(item["trekkid"], n) == item
    if n > 1:
        assert store.version(item["trekkid"], n - 1)["sekvensnummer"] < item["sekvensnummer"]


def test_org_specs_and_faults_reject_bad_input():
    assert set(org_specs(["examples", "974761076=empty", "generated:10"])) == {EXAMPLES_ORG, "974761076",
                                                                                 "314961900"}
    for bad in (["unknown"], ["123456789=empty"], ["generated:x"]):
        with pytest.raises(ValueError):
            org_specs(bad)
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.of(["no-such-fault"])


def test_query_is_parsed_like_parse_qsl_first_value_wins():
    import random
    import urllib.parse

    from conformance.mock.recording import query_of

    rng = random.Random(3)
    for _ in range(5000):
        raw = "".join(rng.choice("ab=&;x1%2+ ") for _ in range(rng.randint(0, 12)))
        expected: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
            expected.setdefault(key, value)
        assert query_of({"query_string": raw.encode()}) == expected, raw
    assert query_of({"query_string": b"maksAntall=1&maksAntall=2"}) == {"maksAntall": "1"}


def test_generated_dates_follow_their_definition():
    """opprettet = EPOCH + 45 (k - 1) days + (i * 7 % 86 000) s; each period starts the day after its version
    is opprettet and ends the day before the next one starts (checked with datetime, as written in the doc)."""
    import datetime as dt

    store = GeneratedStore("314961900", 100_000, seed=7, max_versions=4)
    for i in range(0, 100_000, 997):
        for k in range(1, store.latest_version_number(str(store.ID_BASE + i)) + 1):
            item = store.version(str(store.ID_BASE + i), k)
            opprettet = [store.EPOCH + dt.timedelta(days=45 * (j - 1), seconds=i * 7 % 86_000) for j in range(1, k + 1)]
            assert item["opprettet"] == opprettet[-1].strftime("%Y-%m-%dT%H:%M:%S.00Z")
            for j, period in enumerate(item["trekkstoerrelseForPeriode"]):
                assert period["startdato"] == (opprettet[j].date() + dt.timedelta(days=1)).isoformat()
                if "sluttdato" in period:
                    assert period["sluttdato"] == opprettet[j + 1].date().isoformat()

