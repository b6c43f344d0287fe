"""The Krav og betalinger client-check scenarios, for an accounting system (rettighetspakke ``regnskapssystem``, an
Altinn system user for the party it reads) and, in one scenario, a bank-like client with the party's consent
(``finans``, the ``AltinnSamtykke`` header).

The client gets its task in the environment: ``SBS_PART`` (the party), ``SBS_RETTIGHETSPAKKE``, ``SBS_ENDPOINTS``
(comma-separated: ``aapnekrav``, ``krav``, ``innbetalinger``, ``utbetalinger``), ``SBS_FRA_OG_MED`` and
``SBS_TIL_OG_MED`` (the whole period, which may be longer than the API's one year), ``SBS_SYSTEMUSER_ORG`` (with
``regnskapssystem``), and with ``finans`` ``SBS_CONSENT_URL`` and ``SBS_CONSENT_CODE`` (fetch a consent token with
``GET {SBS_CONSENT_URL}?AuthCode={SBS_CONSENT_CODE}``). It writes ``{"part": ..., "aapnekrav": {"totalOversikt":
{...}, "krav": [kravidentifikator, ...]}, "innbetalinger": [innbetalingsidentifikator, ...], "utbetalinger":
[utbetalingsidentifikator, ...]}`` to ``SBS_STATE_FILE``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.clientcheck.scenarios import SYSTEM_ID, Scenario, Setting
from conformance.mock import altinn
from conformance.mock.state import Behaviour, MockState
from conformance.mock.variants import Variants
from conformance.profiles.kravogbetalinger import SYSTEMUSER_RESOURCE
from conformance.profiles.kravogbetalinger.mock import data, register_consent, seed
from conformance.profiles.kravogbetalinger.rules import in_period, overview

BASE = ("KOB-SBS-AUTH-01", "KOB-SBS-OPS-01")
ID_FIELD = {"krav": "kravidentifikator", "innbetalinger": "innbetalingsidentifikator",
            "utbetalinger": "utbetalingsidentifikator"}


@dataclass(frozen=True)
class Task:
    endpoints: tuple[str, ...]
    fra: str = "2023-01-01"
    til: str = "2023-12-31"
    package: str = "regnskapssystem"


def _setup(task: Task, variants: tuple[str, ...] = (), behaviour: Behaviour | None = None,
           expired_consent: bool = False) -> Callable[[MockState, str], None]:
    def setup(state: MockState, org: str) -> None:
        state.variants = Variants.of(variants)
        state.behaviour = behaviour or Behaviour()
        seed(state)
        d = data(state)
        d.task, d.client_party = task, org
        if task.package == "regnskapssystem":  # the party's system user of the vendor's system
            state.maskinporten.add_systemuser(SYSTEM_ID, org, frozenset({SYSTEMUSER_RESOURCE}))
        else:
            register_consent(state, org)
            state.maskinporten.samtykke.expired_first = expired_consent
    return setup


def env(state: MockState, setting: Setting) -> dict[str, str]:
    task: Task = data(state).task
    out = {"SBS_PART": setting.data_org, "SBS_RETTIGHETSPAKKE": task.package, "SBS_ENDPOINTS": ",".join(task.endpoints),
           "SBS_FRA_OG_MED": task.fra, "SBS_TIL_OG_MED": task.til}
    if task.package == "regnskapssystem":
        out["SBS_SYSTEMUSER_ORG"] = setting.data_org
    return out


def served_env(state: MockState, origin: str) -> dict[str, str]:
    """The consent endpoint's URL and the authorization code, known once the mock serves (finans only)."""
    task: Task = data(state).task
    if task.package != "finans":
        return {}
    d = data(state)
    return {"SBS_CONSENT_URL": origin + altinn.TOKEN_PATH, "SBS_CONSENT_CODE": d.consents[d.client_party or ""]}


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("kob-aapne", "The party's open claims: the client shows the claims and the totals it got",
             (*BASE, "KOB-SBS-AUTH-02", "KOB-SBS-AAPNE-01"), _setup(Task(("aapnekrav",))), env=env),
    Scenario("kob-three-years", "Three years of payments and payouts: the client must ask in windows of one year",
             (*BASE, "KOB-SBS-PERIOD-01"), _setup(Task(("innbetalinger", "utbetalinger"), "2022-01-01", "2024-12-31")),
             env=env),
    Scenario("kob-no-data", "A year without payments: 404 KB-007 is 'nothing in this period'",
             (*BASE, "KOB-SBS-NODATA-01"), _setup(Task(("innbetalinger",), "2019-01-01", "2019-12-31")), env=env),
    Scenario("kob-consent-expired", "finans with the AltinnSamtykke header: the first consent token has expired "
             "(403 KB-005)", (*BASE, "KOB-SBS-CONSENT-01"),
             _setup(Task(("aapnekrav",), package="finans"), expired_consent=True), env=env),
    Scenario("kob-unknown-fields", "Fields the document does not know, and optional fields left out",
             (*BASE, "KOB-SBS-ROB-01"),
             _setup(Task(("aapnekrav", "innbetalinger")), variants=("kob-extra-fields", "kob-optional-absent")),
             env=env),
    Scenario("kob-many", "Nine years of payments at 0.05 s a call: the client's concurrency and token reuse",
             (*BASE, "KOB-SBS-AUTH-02", "KOB-SBS-NODATA-01"),
             _setup(Task(("innbetalinger",), "2016-01-01", "2024-12-31"), behaviour=Behaviour(latency=0.05)),
             env=env),
    Scenario("kob-token-expiry", "Nine years of payments; the first token is refused (401) after four calls: it "
             "expires mid-run", (*BASE, "KOB-SBS-AUTH-03", "KOB-SBS-NODATA-01"),
             _setup(Task(("innbetalinger",), "2016-01-01", "2024-12-31"),
                    behaviour=Behaviour.first_token_expires()), env=env),
)}


def truth(state: MockState, setting: Setting) -> tuple[dict[str, Any], int]:
    """What the client should hold after the poll (0: no progress mark)."""
    d = data(state)
    task: Task = d.task
    party = d.parties[setting.data_org]
    out: dict[str, Any] = {}
    for endpoint in task.endpoints:
        if endpoint == "aapnekrav":
            claims = [k for k in party.krav if float(k.get("gjenstaaendeBeloep") or 0) != 0]
            unplaced = [i for i in party.innbetalinger if float(i.get("uplassertBeloep") or 0) > 0]
            out["aapnekrav"] = {"totalOversikt": overview(claims, unplaced)[0],
                                "krav": sorted(k["kravidentifikator"] for k in claims)}
        else:
            items = in_period(getattr(party, endpoint), endpoint, task.fra, task.til)
            out[endpoint] = sorted(i[ID_FIELD[endpoint]] for i in items)
    return out, 0
