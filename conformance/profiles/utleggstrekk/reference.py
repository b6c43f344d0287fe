"""A reference consumer of the Utleggstrekk event list: how a system should follow a hendelseliste. Run it as a
command (``SBS_API=utleggstrekk``):

    python -m conformance.clientcheck.reference

It follows the client-check environment contract (:mod:`conformance.clientcheck.contract`) plus the variables of
:mod:`conformance.profiles.utleggstrekk.scenarios`: on its first poll it asks ``hendelser/start?dato=``, later
polls resume from the stored watermark + 1; it pages with the inclusive cursor (:data:`conformance.feed.INCLUSIVE`,
the loop the suite's checks use), looks up each (identifier, period) the new events name once (the latest event
decides), at most four lookups at a time, removes a month whose lookup answers 410, ignores fields it does not
know, and stores the watermark with its data. It reuses its Maskinporten token (a new one only near expiry or
after a 401: then the call is made once more).

Exit codes: 0 done; 2 configuration; 3 access refused; 4 the service kept failing or answered unreadably.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conformance.apiclient import KeepAliveApiClient, body_of
from conformance.clientcheck import contract
from conformance.feed import INCLUSIVE, pages
from conformance.profiles.utleggstrekk.common import period_params

PAGE = 100


class ReferenceClient(contract.ReferenceBase):
    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)
        self.package = env.get("SBS_RETTIGHETSPAKKE") or "ssb"
        self.start_dato = contract.required(env, "SBS_START_DATO")
        verify = contract.verify(env)
        self.events = KeepAliveApiClient(contract.required(env, "SBS_BASE_URL"), self.token,
                                         retry=self.retry_policy(), verify=verify)
        self.lookups = KeepAliveApiClient(contract.required(env, "SBS_LOOKUP_URL"), self.token,
                                          retry=self.retry_policy(), verify=verify)

    # -- the behaviours a system must get right; each is one method ----------------------------------------------

    def load(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"watermark": None, "utleggstrekk": {}}
        return state if isinstance(state, dict) else {"watermark": None, "utleggstrekk": {}}

    def first(self, state: dict[str, Any]) -> int:
        """Where this poll starts: the watermark + 1, or (first poll) where start?dato says."""
        if isinstance(state.get("watermark"), int):
            return state["watermark"] + 1
        response = self.renewing(lambda: self.events._get("/hendelser/start", {"dato": self.start_dato}))
        return int(body_of(response, dict, "api.hend.not_object")["sekvensnummer"])

    def page(self, fra: int, antall: int) -> list[dict[str, Any]]:
        response = self.renewing(lambda: self.events._get("/hendelser", {"fraSekvensnummer": fra, "antall": antall}))
        if response.status_code == 404:  # past the end, as 404 FA-005 (A-UTT-PAST-END)
            return []
        return body_of(response, dict, "api.hend.not_object").get("hendelser") or []

    def lookup(self, key: tuple[str, str]) -> tuple[tuple[str, str], list[dict[str, Any]] | None]:
        """The months of one (identifier, period); None when deleted (410) or gone (404)."""
        person, periode = key
        response = self.renewing(lambda: self.lookups._get(f"/{self.package}/{person}", period_params(periode)))
        if response.status_code in (404, 410):
            return key, None
        return key, body_of(response, dict, "api.not_object").get("utleggstrekkPerMaaned") or []

    def forget(self, held: dict[str, Any], person: str, periode: str) -> None:
        """Deleted (410) or gone: the months of that period are removed."""
        for key in [k for k in held if k.startswith(f"{person}|{periode}")]:
            del held[key]

    # -- the run -----------------------------------------------------------------------------------------------
    def sync(self) -> dict[str, Any]:
        state = self.load()
        held: dict[str, Any] = dict(state.get("utleggstrekk") or {})
        first = self.first(state)
        watermark = first - 1  # nothing new: the next poll asks from the same place
        named: dict[tuple[str, str], None] = {}
        for page in pages(self.page, first, PAGE, INCLUSIVE):
            for event in page.items:
                named[(str(event.get("identifikator")), str(event.get("gjelderPeriode") or ""))] = None
            watermark = page.highest if page.highest is not None else watermark
        with ThreadPoolExecutor(max_workers=self.parallel()) as pool:
            for (person, periode), months in pool.map(self.lookup, named):
                if months is None:
                    self.forget(held, person, periode)
                for month in months or []:
                    held[f"{person}|{month.get('kalendermaaned')}"] = {
                        "opplysningspliktig": month.get("opplysningspliktig"), "trekkbeloep": month.get("trekkbeloep")}
        state = {"watermark": watermark, "utleggstrekk": held}
        contract.save_state(self.state_file, state)
        return state

    def run(self) -> int:
        return contract.guarded(self.sync, lambda s: f"watermark {s['watermark']}, {len(s['utleggstrekk'])} months")


def main(client_class: type[ReferenceClient] = ReferenceClient) -> int:
    return contract.run_client(client_class)


if __name__ == "__main__":
    sys.exit(main())
