"""A reference client of Trukket kildeskatt på lønn: how an accounting or payroll system should look persons up.
Run it as a command (``SBS_API=trukketkildeskattpaaloenn``):

    python -m conformance.clientcheck.reference

It follows the client-check environment contract (:mod:`conformance.clientcheck.contract`) plus ``SBS_LOOKUPS``
(``person:year,person:year``) and ``SBS_RETTIGHETSPAKKE``: it reuses its Maskinporten token (a new one only near
expiry or after a 401), looks each person's year up with at most four calls at a time, reads JSON or (with its own
option ``SBS_TKS_FORMAT=xml``) the XML answer by the document's XML mapping, ignores fields and elements it does
not know, records 404 TKL-007 and TKL-009 as "no data" (``ingen_data``) without retrying, retries transient errors
with backoff, and writes its state at the end.

Exit codes: 0 done; 2 configuration; 3 access refused; 4 the service kept failing or answered unreadably.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conformance.apiclient import ApiError, KeepAliveApiClient, UnexpectedBody
from conformance.clientcheck import contract
from conformance.codecs import parsed
from conformance.errors import ConfigError
from conformance.messages import Message

JSON, XML = "application/json", "application/xml"
NO_DATA_CODES = ("-007", "-009")  # no data for the year; no such person
SCHEMA = "TrukketKildeskattPaaLoenn"


class ReferenceClient(contract.ReferenceBase):
    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)
        self.package = env.get("SBS_RETTIGHETSPAKKE") or "ssb"
        self.lookups = self.parse_lookups(contract.required(env, "SBS_LOOKUPS"))
        self.xml = (env.get("SBS_TKS_FORMAT") or "json").lower() == "xml"
        self.api = KeepAliveApiClient(contract.required(env, "SBS_BASE_URL"), self.token, retry=self.retry_policy(),
                                      verify=contract.verify(env), accept=self.accept())

    # -- the behaviours a system must get right; each is one method ----------------------------------------------

    def accept(self) -> str:
        return XML if self.xml else JSON

    @staticmethod
    def parse_lookups(value: str) -> list[tuple[str, str]]:
        out = []
        for item in value.split(","):
            person, sep, year = item.strip().partition(":")
            if not sep or not person or not year:
                raise ConfigError(f"SBS_LOOKUPS item {item!r} is not person:year", "e.g. 07088730296:2021")
            out.append((person, year))
        return out

    def is_no_data(self, exc: ApiError) -> bool:
        kode = str((exc.feil or {}).get("kode") or "")
        return exc.status == 404 and kode.endswith(NO_DATA_CODES)

    def read_months(self, response: Any) -> list[dict[str, Any]]:
        """The months of a 200 answer, JSON or XML (by the document's XML mapping); unknown fields are ignored."""
        if self.xml:
            found = parsed(response.headers.get("content-type", ""), response.text)
            if found is None or found[0].name != "xml":
                raise UnexpectedBody(Message("api.not_json", {"content_type": response.headers.get("content-type")}))
            from conformance.profiles import get
            from conformance.spec import load_spec

            body, _, _ = load_spec(profile=get("trukketkildeskattpaaloenn")).from_xml(found[1], SCHEMA)
        else:
            body = response.json()
        keep = ("maaned", "grunnlagForSkattetrekk", "skattetrekk", "samletRapportertLoennsinntekt")
        return [{k: m.get(k) for k in keep} for m in body.get("trekkinformasjonPerMaaned") or []]

    def fetch(self, person: str, year: str) -> dict[str, Any]:
        """One lookup; on a 401 drop the token and try once more with a new one."""
        path = f"/{self.package}/{year}/{person}"
        response = self.renewing(lambda: self.api._get(path))
        entry: dict[str, Any] = {"personidentifikator": person, "inntektsaar": int(year)}
        if response.status_code == 200:
            return {**entry, "status": "data", "maaneder": self.read_months(response)}
        error = ApiError(response)
        if self.is_no_data(error):
            return {**entry, "status": "ingen_data", "maaneder": []}
        raise error

    # -- the run -----------------------------------------------------------------------------------------------
    def sync(self) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=self.parallel()) as pool:
            found = list(pool.map(lambda lookup: self.fetch(*lookup), self.lookups))
        contract.save_state(self.state_file, {"oppslag": found})
        return found

    def run(self) -> int:
        return contract.guarded(self.sync, lambda found: f"{len(found)} lookups, "
                                                         f"{sum(1 for f in found if f['status'] == 'data')} with data")


def main(client_class: type[ReferenceClient] = ReferenceClient) -> int:
    return contract.run_client(client_class)


if __name__ == "__main__":
    sys.exit(main())
