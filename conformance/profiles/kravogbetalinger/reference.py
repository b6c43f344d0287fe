"""A reference client of Krav og betalinger: how an accounting system should read a party's claims and payments.
Run it as a command (``SBS_API=kravogbetalinger``):

    python -m conformance.clientcheck.reference

It follows the client-check environment contract (:mod:`conformance.clientcheck.contract`) plus the task variables
of :mod:`conformance.profiles.kravogbetalinger.scenarios`: it reuses its Maskinporten token (a system user's for
the party with ``regnskapssystem``), splits a period longer than a year into windows of at most one year
(:func:`~conformance.profiles.kravogbetalinger.rules.windows`, the rule the mock enforces), asks at most four
windows at a time, records 404 KB-007 as "nothing in this window" without retrying, ignores fields it does not
know, and with ``finans`` sends the party's consent token in ``AltinnSamtykke``, fetching a new one when it has
expired (403). It shows the totals as the service computed them.

Exit codes: 0 done; 2 configuration; 3 access refused; 4 the service kept failing or answered unreadably.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from conformance.apiclient import ApiError, KeepAliveApiClient, UnexpectedBody
from conformance.clientcheck import contract
from conformance.errors import ConfigError
from conformance.maskinporten.grant import CONSENT_HEADER
from conformance.messages import Message
from conformance.profiles.kravogbetalinger.rules import LIST_FIELD, windows

ID_FIELD = {"krav": "kravidentifikator", "innbetalinger": "innbetalingsidentifikator",
            "utbetalinger": "utbetalingsidentifikator"}


class ReferenceClient(contract.ReferenceBase):
    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)
        self.party = contract.required(env, "SBS_PART")
        self.package = env.get("SBS_RETTIGHETSPAKKE") or "regnskapssystem"
        self.endpoints = [e for e in contract.required(env, "SBS_ENDPOINTS").split(",") if e]
        self.fra, self.til = self.period(env)
        self.api = KeepAliveApiClient(contract.required(env, "SBS_BASE_URL"), self.token, retry=self.retry_policy(),
                                      verify=contract.verify(env))
        self._consent: str | None = None
        self._consent_lock = threading.Lock()

    # -- the behaviours a system must get right; each is one method ----------------------------------------------

    @staticmethod
    def period(env: Mapping[str, str]) -> tuple[dt.date, dt.date]:
        try:
            return (dt.date.fromisoformat(contract.required(env, "SBS_FRA_OG_MED")),
                    dt.date.fromisoformat(contract.required(env, "SBS_TIL_OG_MED")))
        except ValueError as exc:
            raise ConfigError(f"SBS_FRA_OG_MED/SBS_TIL_OG_MED: {exc}", "dates as YYYY-MM-DD") from exc

    def windows(self) -> list[tuple[dt.date, dt.date]]:
        return windows(self.fra, self.til)

    def fetch_consent_token(self) -> str:
        """A consent token (Altinn 2) for the party, fetched with the authorization code."""
        response = httpx.get(contract.required(self.env, "SBS_CONSENT_URL"),
                             params={"AuthCode": contract.required(self.env, "SBS_CONSENT_CODE")},
                             verify=contract.verify(self.env), timeout=30)
        if response.status_code != 200:
            raise ApiError(response)
        return str(response.json())

    def consent_token(self, expired: str | None = None) -> str:
        """The consent token to send; a new one when ``expired`` is the current one (another thread may already
        have renewed it)."""
        with self._consent_lock:
            if self._consent is None or self._consent == expired:
                self._consent = self.fetch_consent_token()
            return self._consent

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """One call; on a 401 a new token, with ``finans`` on a 403 a new consent token, each once."""
        def call() -> tuple[str | None, Any]:
            consent = self.consent_token() if self.package == "finans" else None
            return consent, self.api._get(path, params, {CONSENT_HEADER: consent} if consent else None)

        used, response = call()
        if response.status_code == 401:
            self.mp.invalidate()
            used, response = call()
        elif response.status_code == 403 and used is not None:
            self.consent_token(expired=used)
            _, response = call()
        return response

    def is_no_data(self, exc: ApiError) -> bool:
        return exc.status == 404 and str((exc.feil or {}).get("kode") or "").endswith("-007")

    def read(self, response: Any) -> dict[str, Any]:
        if response.status_code != 200:
            raise ApiError(response)
        body = response.json()
        if not isinstance(body, dict):
            raise UnexpectedBody(Message("api.not_json", {"content_type": response.headers.get("content-type")}))
        return body

    def open_claims(self) -> dict[str, Any]:
        body = self.read(self.get(f"/{self.package}/{self.party}/aapnekrav"))
        claims = body.get("aapentKravMedGjenstaaendeBeloep") or []
        return {"totalOversikt": body.get("totalOversikt") or {},
                "krav": [k.get("kravidentifikator") for k in claims if isinstance(k, dict)]}

    def window(self, endpoint: str, window: tuple[dt.date, dt.date]) -> list[str]:
        params = {"fraOgMed": window[0].isoformat(), "tilOgMed": window[1].isoformat()}
        try:
            body = self.read(self.get(f"/{self.package}/{self.party}/{endpoint}", params))
        except ApiError as exc:
            if self.is_no_data(exc):
                return []
            raise
        return [i.get(ID_FIELD[endpoint]) for i in body.get(LIST_FIELD[endpoint]) or [] if isinstance(i, dict)]

    # -- the run -----------------------------------------------------------------------------------------------
    def sync(self) -> dict[str, Any]:
        state: dict[str, Any] = {"part": self.party}
        for endpoint in self.endpoints:
            if endpoint == "aapnekrav":
                state["aapnekrav"] = self.open_claims()
                continue
            with ThreadPoolExecutor(max_workers=self.parallel()) as pool:
                found = list(pool.map(lambda w, e=endpoint: self.window(e, w), self.windows()))
            state[endpoint] = [i for ids in found for i in ids]
        contract.save_state(self.state_file, state)
        return state

    def run(self) -> int:
        def done(state: dict[str, Any]) -> str:
            listed = {k: len(v) for k, v in state.items() if isinstance(v, list)}
            return f"party {self.party}: {listed or 'open claims read'}"

        return contract.guarded(self.sync, done)


def main(client_class: type[ReferenceClient] = ReferenceClient) -> int:
    return contract.run_client(client_class)


if __name__ == "__main__":
    sys.exit(main())
