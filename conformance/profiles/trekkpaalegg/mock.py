"""The Trekkpålegg API on the mock: per-organisation stores, its routes behind the shared gate, its faults and
variants.

Order of evaluation for both operations: the gate (token 401, scope 403, Accept 406, concurrency 429), then the
parameters (400), then the data (200/404). Lists longer than :data:`STREAM_ABOVE` are streamed a batch at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.identifiers import orgnr_ok
from conformance.mock.gate import Call, Gate, JSONResponse, Reject, int64, notes
from conformance.mock.recording import query_of
from conformance.mock.state import MOCK_ORG, MockState
from conformance.profiles.trekkpaalegg.common import PREFIX
from conformance.profiles.trekkpaalegg.store import GeneratedStore, MemoryStore, Store, examples_store

# Deterministic seed organisations (valid check digits; TT02 test organisations).
EXAMPLES_ORG = MOCK_ORG  # the published examples, under the embedded mock's own organisation
EMPTY_ORG = "313367002"  # no data: the onboarding "empty 200" case
GENERATED_ORG = "314961900"  # generated data (size configurable)
OTHER_ORG = "311851381"  # for fault switches that answer with another organisation's number
UNKNOWN_UNDER = "/api"  # on the old gateway the API owns /api/: every other path there gets its unknown-path answer
STREAM_ABOVE = 1000  # answers with more items than this are streamed
STREAM_BATCH = 500

#: name -> (requirement it breaks, what the mock then does)
FAULTS: dict[str, tuple[str, str]] = {
    "empty-org-404": ("TP-EMPTY-01", "answers 404 instead of 200 [] to an organisation without data"),
    "list-text-plain": ("TP-LIST-01", "serves the list as text/plain"),
    "invalid-opprettet": ("TP-LIST-02", "writes opprettet as 09.08.2025 15:00 (not date-time)"),
    "wrong-trekkpliktig": ("TP-LIST-03", "puts another organisation in trekkpliktig"),
    "all-versions-in-list": ("TP-LIST-04", "pages over every version, not only the latest per trekkid"),
    "ignore-maks-antall": ("TP-PAGE-01", "ignores maksAntall"),
    "short-page-before-end": ("TP-PAGE-02", "limits before filtering: a full page comes back one short"),
    "inclusive-fra": ("TP-PAGE-03", "treats fraSekvensnummer as inclusive"),
    "lenient-paging-params": ("TP-PAGE-04", "accepts one paging parameter alone and maksAntall=0"),
    "unordered-pages": ("TP-PAGE-05", "returns each page in descending order"),
    "version-body-differs": ("TP-VER-01", "version endpoint changes opprettet"),
    "version-returns-latest": ("TP-VER-02", "version endpoint returns the latest for an earlier version"),
    "next-version-200": ("TP-VER-03", "version n+1 returns the latest version instead of 404"),
    "non-numeric-version-500": ("TP-VER-04", "non-numeric version gives 500"),
    "invalid-identifiers": ("TP-DATA-01", "skyldner with wrong control digits"),
    "overlapping-periods": ("TP-DATA-02", "periods overlap"),
}

#: name -> (what the run must show, what the mock then does, the assumption it differs from)
VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "sluttdato-null": ("passes", 'writes an open period\'s end as "sluttdato": null ([default til null])', None),
    "opprettet-local-time": ("passes", "writes opprettet without a zone (ISO 8601 local time)", None),
    "basic-dates": ("passes", "writes startdato and sluttdato in the basic form YYYYMMDD", None),
    "version-extra-field": ("passes", "adds a field the OpenAPI document does not know to the version answer", None),
    "empty-body": ("assumption", "answers an organisation without data with 200 and an empty body",
                   "A-TP-EMPTY-BODY"),
    "error-prefix-tp": ("assumption", "uses the prefix TP- in its error codes", "A-TP-ERROR-PREFIX"),
}


@dataclass
class TrekkpaaleggData:
    """The mock's Trekkpålegg data: one store per trekkpliktig organisation, and the error-code prefix."""

    stores: dict[str, Store] = field(default_factory=dict)
    error_prefix: str = PREFIX

    def store(self, org: str | None) -> Store:
        return self.stores.get(org or "") or MemoryStore()


def data(state: MockState) -> TrekkpaaleggData:
    return state.data.setdefault("trekkpaalegg", TrekkpaaleggData())


def seeded_orgs(size: int) -> dict[str, str]:
    """The organisations the standard seed serves, with what each one holds."""
    orgs = {EXAMPLES_ORG: "examples", EMPTY_ORG: "empty"}
    if size:
        orgs[GENERATED_ORG] = f"generated, {size}"
    return orgs


def seed(state: MockState, *, size: int = 2000, seed: int = 1, orgs: list[str] | None = None) -> None:
    """The standard seed (examples, empty, and ``size`` generated trekkpålegg), or ``--orgs`` specs."""
    d = data(state)
    if orgs:
        d.stores.update(org_specs(orgs, seed))
        return
    d.stores[EXAMPLES_ORG] = examples_store(EXAMPLES_ORG)
    d.stores[EMPTY_ORG] = MemoryStore()
    if size:
        d.stores[GENERATED_ORG] = GeneratedStore(GENERATED_ORG, size, seed=seed)


def customers(state: MockState, client_org: str) -> list[str]:
    """The organisations a client of ``client_org`` may act for as systembruker by default: every other one."""
    return [o for o in data(state).stores if o != client_org]


_KINDS = {"examples": EXAMPLES_ORG, "empty": EMPTY_ORG, "generated": GENERATED_ORG}


def org_specs(specs: list[str], seed: int = 1) -> dict[str, Store]:
    """Stores from ``examples``, ``empty``, ``generated[:N]``, each optionally prefixed ``ORGNR=``."""
    stores: dict[str, Store] = {}
    for spec in specs:
        org, _, kind = spec.rpartition("=")
        kind, _, size = kind.partition(":")
        if kind not in _KINDS:
            raise ValueError(f"unknown organisation kind {kind!r} in {spec!r}; use examples, empty or generated[:N]")
        org = org or _KINDS[kind]
        if not orgnr_ok(org):
            raise ValueError(f"{org} in {spec!r} is not a valid organisation number")
        if kind == "examples":
            stores[org] = examples_store(org)
        elif kind == "empty":
            stores[org] = MemoryStore()
        else:
            if size and not size.isdigit():
                raise ValueError(f"size {size!r} in {spec!r} is not a number")
            stores[org] = GeneratedStore(org, int(size or 2000), seed=seed)
    return stores


def error_prefix(state: MockState) -> str:
    """The prefix of the API's error codes on the mock (undocumented: A-TP-ERROR-PREFIX)."""
    return "TP" if state.variants.on("error-prefix-tp") else data(state).error_prefix


def describe(state: MockState) -> list[str]:
    """What ``mock serve`` prints of the data."""
    return [f"organisation {org}: {store.count()} trekkpålegg" for org, store in data(state).stores.items()]


def routes(gate: Gate) -> list[Route]:
    state, faults, variants = gate.state, gate.faults, gate.variants
    d = data(state)

    def present(item: dict[str, Any]) -> dict[str, Any]:
        """Apply the data faults and variants to one item (both operations show the same data)."""
        if not (variants.enabled or faults.enabled):  # nothing switched on: the item as stored, for every item
            return item
        if variants.on("opprettet-local-time"):
            item["opprettet"] = item["opprettet"][:19]
        for period in item.get("trekkstoerrelseForPeriode") or []:
            if variants.on("sluttdato-null"):
                period.setdefault("sluttdato", None)
            if variants.on("basic-dates"):
                for key in ("startdato", "sluttdato"):
                    if isinstance(period.get(key), str):
                        period[key] = period[key].replace("-", "")
        if faults.on("invalid-opprettet"):
            item["opprettet"] = "09.08.2025 15:00"
        if faults.on("wrong-trekkpliktig"):
            item["trekkpliktig"] = OTHER_ORG
        if faults.on("invalid-identifiers"):
            item["skyldner"] = "10108412345"
        periods = item.get("trekkstoerrelseForPeriode") or []
        if faults.on("overlapping-periods") and len(periods) >= 2:
            periods[0]["sluttdato"] = periods[1]["startdato"]
            periods[1]["startdato"] = periods[0]["startdato"]
        return item

    def list_handler(request: Request, call: Call) -> Response:
        query = query_of(request.scope)
        fra_raw, maks_raw = query.get("fraSekvensnummer"), query.get("maksAntall")
        lenient = faults.on("lenient-paging-params")
        if (fra_raw is None) != (maks_raw is None) and not lenient:
            raise Reject(400, ec.VALIDATION)
        try:
            fra, maks = int64(fra_raw), int64(maks_raw)
        except ValueError:
            raise Reject(400, ec.VALIDATION) from None
        if maks is not None and maks < 1 and not lenient:
            raise Reject(400, ec.VALIDATION)
        if lenient and maks_raw is not None and fra is None:
            fra = 0
        store = d.store(call.org)
        if faults.on("empty-org-404") and store.count() == 0:
            raise Reject(404, ec.NOT_FOUND)
        if variants.on("empty-body") and store.count() == 0:
            return Response(b"", media_type="application/json")
        if faults.on("inclusive-fra") and fra is not None:
            fra -= 1
        if faults.on("ignore-maks-antall"):
            maks = None
        media_type = "text/plain" if faults.on("list-text-plain") else "application/json"
        noted = notes(request)
        size = store.count_above(fra) if maks is None else min(maks, store.count_above(fra))
        if size > STREAM_ABOVE and call.org is not None and not faults.on("all-versions-in-list") \
                and not faults.on("unordered-pages"):
            # A long answer is built and sent a batch at a time: the mock's memory does not grow with it.
            if faults.on("short-page-before-end") and maks is not None and size == maks:
                size -= 1
            items = itertools.islice(store.iter_latest(fra, maks), size)
            return StreamingResponse(_stream(items, maks, noted, gate.released(call.org)), media_type=media_type)
        if faults.on("all-versions-in-list"):
            every = sorted((v for i in store.latest() for n in range(1, i["trekkversjon"] + 1)
                            if (v := store.version(i["trekkid"], n)) is not None), key=lambda v: v["sekvensnummer"])
            items = [v for v in every if fra is None or v["sekvensnummer"] > fra][:maks]
        else:
            items = store.latest(fra, maks)
        if faults.on("short-page-before-end") and maks is not None and len(items) == maks:
            items = items[:-1]
        if faults.on("unordered-pages"):
            items.reverse()
        body = [present(i) for i in items]
        noted["count"] = len(body)
        noted["short"] = maks is None or len(body) < maks
        noted["max_seq"] = max((int(i["sekvensnummer"]) for i in body), default=None)
        return JSONResponse(body, media_type=media_type)

    def _stream(items: Iterator[dict[str, Any]], maks: int | None, noted: dict[str, Any], release: Any
                ) -> Iterator[bytes]:
        count, max_seq, first = 0, None, True
        try:
            yield b"["
            for batch in iter(lambda: list(itertools.islice(items, STREAM_BATCH)), []):
                body = orjson.dumps([present(i) for i in batch])
                count += len(batch)
                max_seq = max(max_seq or 0, *(int(i["sekvensnummer"]) for i in batch))
                yield (b"" if first else b",") + body[1:-1]
                first = False
            yield b"]"
        finally:
            noted.update(count=count, short=maks is None or count < maks, max_seq=max_seq)
            release()

    def version_handler(request: Request, call: Call) -> Response:
        trekkid = request.path_params["trekkid"]
        try:
            wanted = int64(request.path_params["trekkversjon"])
        except ValueError:
            if faults.on("non-numeric-version-500"):
                raise Reject(500, ec.UNEXPECTED) from None
            raise Reject(400, ec.VALIDATION) from None
        assert wanted is not None
        store = d.store(call.org)
        latest = store.latest_version_number(trekkid)
        if latest is not None and faults.on("version-returns-latest") and wanted < latest:
            wanted = latest
        if latest is not None and faults.on("next-version-200") and wanted == latest + 1:
            wanted = latest
        item = store.version(trekkid, wanted)
        if item is None:
            raise Reject(404, ec.NOT_FOUND)
        if faults.on("version-body-differs"):
            item["opprettet"] = "2001-01-01T00:00:00.00Z"
        item = present(item)
        if variants.on("version-extra-field"):
            item["kildesystem"] = "versjonsendepunktet"
        return JSONResponse(item)

    return [gate.route("", list_handler), gate.route("/{trekkid}/{trekkversjon}", version_handler)]
