"""Per-organisation trekkpålegg stores for the mock: the published examples, and a generator.

Both answer the two questions the API asks: the latest version of each trekkid with ``sekvensnummer``
above a watermark (ascending, at most N), and one given version. ``sekvensnummer`` is a running number
per store, always increasing, so a new version always sorts last.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import json
import random
from array import array
from collections.abc import Iterable, Iterator
from importlib.resources import files
from typing import Any, Protocol

import orjson

from conformance.identifiers import KidSeries, first_fnr

Item = dict[str, Any]

# Payee data as published by Skatteetaten (the same on every order).
BETALINGSMOTTAKER = "971648199"
KONTONUMMER = "70213997155"


class Store(Protocol):
    def count(self) -> int: ...

    def latest(self, fra: int | None = None, maks: int | None = None) -> list[Item]:
        """Latest version per trekkid with sekvensnummer > fra, ascending, at most maks."""
        ...

    def iter_latest(self, fra: int | None = None, maks: int | None = None) -> Iterator[Item]:
        """The same, built one item at a time (a long answer is streamed, never held whole)."""
        ...

    def count_above(self, fra: int | None) -> int:
        """How many latest versions have sekvensnummer > fra."""
        ...

    def version(self, trekkid: str, trekkversjon: int) -> Item | None: ...

    def latest_version_number(self, trekkid: str) -> int | None: ...


class MemoryStore:
    """Every version kept as its JSON bytes; for the examples and for scenario data that changes between polls.

    A read hands out a fresh dict parsed from those bytes (orjson: a fifth of ``copy.deepcopy``'s cost), so a
    handler may change what it serves (the fault switches do) without touching the store."""

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._versions: dict[str, list[bytes]] = {}
        self._seqs: list[int] = []  # sorted latest sekvensnummer ...
        self._ids: list[str] = []  # ... and its trekkid, in the same order
        self.next_seq = 1
        for item in items:
            self.add(item)

    def count(self) -> int:
        return len(self._versions)

    def add(self, item: Item) -> Item:
        """Publish a version. Without ``sekvensnummer`` it gets the next one; it must be the highest."""
        item = copy.deepcopy(item)
        seq = int(item.setdefault("sekvensnummer", self.next_seq))
        if self._seqs and seq <= self._seqs[-1]:
            raise ValueError(f"sekvensnummer {seq} is not above the highest one {self._seqs[-1]}")
        trekkid = str(item["trekkid"])
        versions = self._versions.get(trekkid, [])
        item.setdefault("trekkversjon", len(versions) + 1)
        if item["trekkversjon"] != len(versions) + 1:
            raise ValueError(f"trekkid {trekkid}: version {item['trekkversjon']} after {len(versions)} versions")
        frozen = orjson.dumps(item)  # before any change: a value JSON cannot hold is refused here, not served
        self.next_seq = seq + 1
        if versions:  # the earlier latest version leaves the sorted lists
            i = bisect.bisect_left(self._seqs, int(orjson.loads(versions[-1])["sekvensnummer"]))
            del self._seqs[i], self._ids[i]
        self._versions.setdefault(trekkid, versions).append(frozen)
        self._seqs.append(seq)
        self._ids.append(trekkid)
        return item

    def latest(self, fra: int | None = None, maks: int | None = None) -> list[Item]:
        return list(self.iter_latest(fra, maks))

    def iter_latest(self, fra: int | None = None, maks: int | None = None) -> Iterator[Item]:
        start = bisect.bisect_right(self._seqs, fra) if fra is not None else 0
        end = len(self._ids) if maks is None else min(len(self._ids), start + maks)
        return (orjson.loads(self._versions[t][-1]) for t in self._ids[start:end])

    def count_above(self, fra: int | None) -> int:
        return len(self._ids) - (bisect.bisect_right(self._seqs, fra) if fra is not None else 0)

    def version(self, trekkid: str, trekkversjon: int) -> Item | None:
        versions = self._versions.get(trekkid, [])
        return orjson.loads(versions[trekkversjon - 1]) if 1 <= trekkversjon <= len(versions) else None

    def latest_version_number(self, trekkid: str) -> int | None:
        versions = self._versions.get(trekkid)
        return len(versions) if versions else None


def published_examples() -> list[dict[str, Any]]:
    """The scenarios of Skatteetaten's "Eksempler" tab, as shipped in the package."""
    text = files("conformance.profiles.trekkpaalegg").joinpath("examples.json").read_text(encoding="utf-8")
    return json.loads(text)["scenarios"]


# A synthetic (month + 80) fødselsnummer replaces the page's placeholder, as the page itself asks.
EXAMPLE_SKYLDNER = "01818012337"


def examples_store(org: str) -> MemoryStore:
    """Every published example version, with ``trekkpliktig`` set to ``org`` and a valid synthetic skyldner."""
    items = [v for s in published_examples() for v in s["versions"]]
    items.sort(key=lambda v: v["sekvensnummer"])
    return MemoryStore({**v, "trekkpliktig": org, "skyldner": EXAMPLE_SKYLDNER} for v in items)


class GeneratedStore:
    """``n`` trekkpålegg with 1..``max_versions`` versions each, generated on demand from a seed.

    Only three integer arrays per version round are kept (about 24 bytes per trekkpålegg), so 100 000
    trekkpålegg cost a few MB; the JSON items are built when asked for. Versions are published in
    rounds (all first versions, then all second versions, ...), which gives every version a
    deterministic, increasing ``sekvensnummer``.
    """

    ID_BASE = 20_000_000
    EPOCH = dt.datetime(2025, 1, 6, 8, 0)  # UTC
    _EPOCH_CLOCK = 8 * 3600  # EPOCH's time of day, in seconds
    _TO_MIDNIGHT = 86_400 - _EPOCH_CLOCK

    def __init__(self, org: str, n: int, *, seed: int = 1, max_versions: int = 3, first_seq: int = 1) -> None:
        self.org, self.n, self.seed = org, n, seed
        rng = random.Random(seed)
        counts = [1 + int(rng.random() * max_versions) for _ in range(n)]
        self._nversions = array("B", counts)
        self._kid = KidSeries(org, 7)  # the organisation number and the trekkpålegg's index
        # Each trekkpålegg's skyldner and KID, as integers once computed (0: not yet): a long list is served
        # several times in a run, and these two were a third of an item's cost; 16 bytes per trekkpålegg.
        self._skyldner_of, self._kid_of = array("q", bytes(8 * n)), array("q", bytes(8 * n))
        # ISO dates 45 (j - 1) + 0, 1, 2 days after EPOCH, for version j (see _item).
        self._days = [[(self.EPOCH.date() + dt.timedelta(days=45 * j + extra)).isoformat() for extra in range(3)]
                      for j in range(max_versions)]
        # Round k publishes version k+1 of every trekkid that has one, in trekkid order.
        self._seq: list[array[int]] = []  # per round k: sekvensnummer of version k+1 (0: no such version)
        counter = first_seq
        for k in range(max_versions):
            members = [i for i, c in enumerate(counts) if c > k]
            row = array("q", bytes(8 * n))
            for offset, i in enumerate(members):
                row[i] = counter + offset
            counter += len(members)
            self._seq.append(row)
        self.next_seq = counter
        # The latest versions sorted by sekvensnummer: by round of the last version, then by trekkid.
        self._order = array("l", (i for k in range(1, max_versions + 1) for i, c in enumerate(counts) if c == k))
        self._sorted_seqs = array("q", (self._seq[counts[i] - 1][i] for i in self._order))

    def _latest_seq(self, i: int) -> int:
        return self._seq[self._nversions[i] - 1][i]

    def count(self) -> int:
        return self.n

    def latest(self, fra: int | None = None, maks: int | None = None) -> list[Item]:
        return list(self.iter_latest(fra, maks))

    def iter_latest(self, fra: int | None = None, maks: int | None = None) -> Iterator[Item]:
        start = bisect.bisect_right(self._sorted_seqs, fra) if fra is not None else 0
        end = self.n if maks is None else min(self.n, start + maks)
        return (self._item(i, self._nversions[i]) for i in self._order[start:end])

    def count_above(self, fra: int | None) -> int:
        return self.n - (bisect.bisect_right(self._sorted_seqs, fra) if fra is not None else 0)

    def _index(self, trekkid: str) -> int | None:
        if not trekkid.isdigit():
            return None
        i = int(trekkid) - self.ID_BASE
        return i if 0 <= i < self.n else None

    def version(self, trekkid: str, trekkversjon: int) -> Item | None:
        i = self._index(trekkid)
        if i is None or not 1 <= trekkversjon <= self._nversions[i]:
            return None
        return self._item(i, trekkversjon)

    def latest_version_number(self, trekkid: str) -> int | None:
        i = self._index(trekkid)
        return None if i is None else self._nversions[i]

    # -- item construction -----------------------------------------------------------------------
    def _skyldner(self, i: int) -> str:
        known = self._skyldner_of[i]
        if known:
            return f"{known:011d}"
        number = self._new_skyldner(i)
        self._skyldner_of[i] = int(number)
        return number

    def _kidnummer(self, i: int) -> str:
        known = self._kid_of[i]
        if known:
            return f"{known:0{len(self.org) + 8}d}"  # the organisation number, 7 digits, the check digit
        kid = self._kid(i)
        self._kid_of[i] = int(kid)
        return kid

    def _new_skyldner(self, i: int) -> str:
        h = (i * 2654435761 + self.seed) & 0xFFFFFFFF
        day, month, year = 1 + h % 28, 1 + (h >> 5) % 12, 50 + (h >> 9) % 50
        number = first_fnr(day, month + 80, year, (h >> 13) % 400)
        if number is None:  # pragma: no cover (always found within a few tries)
            raise AssertionError("no valid individnummer")
        return number

    def _item(self, i: int, k: int) -> Item:
        # Version j is opprettet at EPOCH + 45 (j - 1) days + (i * 7 % 86 000) s and its period starts the next
        # day; the date strings come from a table (_days) and the clock from integers: datetime arithmetic was
        # about a fifth of an item's cost (callgrind).
        seconds = i * 7 % 86_000
        late = int(seconds >= self._TO_MIDNIGHT)  # opprettet falls on the next calendar day
        clock = (self._EPOCH_CLOCK + seconds) % 86_400
        periods: list[Item] = []
        for j in range(1, k + 1):
            amount = (i + j) % 2 == 0
            periods.append({"startdato": self._days[j - 1][late + 1],
                            **({"trekkbeloep": {"trekkbeloep": 500 * (1 + (i + j) % 20)}} if amount
                               else {"trekkprosent": {"trekkprosent": float(5 + (i * j) % 30)}})})
            if j > 1:
                periods[j - 2]["sluttdato"] = self._days[j - 1][late]
        opprettet = f"{self._days[k - 1][late]}T{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}.00Z"
        status = "aktiv"
        if i % 10 == 9 and k == self._nversions[i] and k > 1:
            # The order ends today: this version closes the running period (its sluttdato is today, set
            # above) instead of adding one, and is avsluttet at once (field rules, sluttdato = today).
            periods.pop()
            status = "avsluttet"
        return {
            "trekkid": str(self.ID_BASE + i),
            "trekkversjon": k,
            "sekvensnummer": self._seq[k - 1][i],
            "opprettet": opprettet,
            "saksnummer": f"TREKK/2025/{100_000 + i}",
            "trekkpliktig": self.org,
            "skyldner": self._skyldner(i),
            "trekkstatus": status,
            "trekkstoerrelseForPeriode": periods,
            "betalingsinformasjon": {
                "kidnummer": self._kidnummer(i),
                "kontonummer": KONTONUMMER,
                "betalingsmottaker": BETALINGSMOTTAKER,
            },
        }
