"""A reference SBS client: how a payroll system should fetch trekkpålegg. Run it as a command:

    python -m conformance.clientcheck.reference

It follows the client-check environment contract (SBS_BASE_URL, SBS_TOKEN_URL, SBS_ISSUER, SBS_CLIENT_ID,
SBS_KEY_FILE, SBS_CERT_FILE or SBS_KID, SBS_ORG, SBS_SCOPE, SBS_CA_FILE, SBS_STATE_FILE; in systembruker mode
also SBS_SYSTEMUSER_ORG and, when set, SBS_EXTERNAL_REF): it reuses its
Maskinporten token (a new one only near expiry or after a 401), pages with maksAntall from the stored
watermark by the loop rule, retries transient errors with backoff (honouring Retry-After, bounded), stops at
once on 403 and on a system user that is not approved (MP-303), ignores unknown fields, makes one call at a
time, and stores its watermark at least every second and at the end.

Exit codes: 0 synced; 2 configuration; 3 access refused (401 after a new token, 403); 4 the service kept
failing or answered unreadably (``contract.guarded``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from typing import Any

from conformance.apiclient import ApiError
from conformance.clientcheck import contract
from conformance.profiles.trekkpaalegg.client import KeepAliveTrekkpaaleggClient


class ReferenceClient(contract.ReferenceBase):
    page_size = 1000

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)  # the token client, its reuse and the retry policy: contract.ReferenceBase
        self.base_url = contract.required(env, "SBS_BASE_URL")
        self.verify = contract.verify(env)
        if env.get("SBS_PAGE_SIZE"):  # the reference client's own option (benchmarks), not part of the contract
            self.page_size = int(env["SBS_PAGE_SIZE"])
        self.api = KeepAliveTrekkpaaleggClient(self.base_url, self.token, retry=self.retry_policy(),
                                               verify=self.verify)

    # -- the behaviours a payroll system must get right; each is one method -----------------------------
    def start_fra(self, state: dict[str, Any]) -> int:
        return int(state.get("watermark", 0))

    def next_fra(self, page: list[dict[str, Any]]) -> int:
        return max(int(i["sekvensnummer"]) for i in page)

    def more_pages(self, page: list[dict[str, Any]]) -> bool:
        """The loop rule: a full page means there may be more."""
        return len(page) >= self.page_size

    def read_item(self, item: dict[str, Any]) -> tuple[str, int, int]:
        return str(item["trekkid"]), int(item["trekkversjon"]), int(item["sekvensnummer"])

    def fetch_page(self, fra: int) -> list[dict[str, Any]]:
        """One page; on a 401 drop the token and try once more with a new one."""
        try:
            return self.api.hent_side(fra, self.page_size)
        except ApiError as exc:
            if exc.status != 401:
                raise
            self.mp.invalidate()
            return self.api.hent_side(fra, self.page_size)

    # -- the sync ------------------------------------------------------------------------------------
    def load_state(self) -> dict[str, Any]:
        if self.state_file.exists():
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            return {"watermark": data.get("watermark", 0),
                    "held": {str(t["trekkid"]): int(t["trekkversjon"]) for t in data.get("trekkpaalegg", [])}}
        return {"watermark": 0, "held": {}}

    def save_state(self, state: dict[str, Any]) -> None:
        contract.save_state(self.state_file, {
            "watermark": state["watermark"],
            "trekkpaalegg": [{"trekkid": t, "trekkversjon": v} for t, v in sorted(state["held"].items())]})

    def sync(self) -> dict[str, Any]:
        state = self.load_state()
        fra = self.start_fra(state)
        saved = time.monotonic()
        while True:
            page = self.fetch_page(fra)
            for item in page:
                trekkid, versjon, _ = self.read_item(item)
                if versjon > state["held"].get(trekkid, 0):
                    state["held"][trekkid] = versjon
            if page:
                fra = self.next_fra(page)
                state["watermark"] = max(state["watermark"], fra)
            if not self.more_pages(page):
                self.save_state(state)
                return state
            if time.monotonic() - saved >= 1.0:  # a crash loses at most about a second of pages
                self.save_state(state)
                saved = time.monotonic()

    def run(self) -> int:
        return contract.guarded(self.sync, lambda state: f"{len(state['held'])} trekkpålegg, "
                                                         f"watermark {state['watermark']}")


def main(client_class: type[ReferenceClient] = ReferenceClient) -> int:
    return contract.run_client(client_class)


if __name__ == "__main__":
    sys.exit(main())
