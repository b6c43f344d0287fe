"""The unpaged list of an organisation's trekkpålegg, held the way a list of any length can be held.

:class:`Liste` is a read-only sequence of items backed by a :class:`~conformance.itemstream.JsonArraySpool` (each
item's text on disk as it came, read back one at a time), with the few values checks need of *every* item kept compactly
in memory as it arrives: trekkid, trekkversjon and sekvensnummer.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, overload

from conformance.itemstream import JsonArraySpool

Key = tuple[str, Any]  # (trekkid, trekkversjon) as the items give them


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


NONE = -(1 << 62)  # in the arrays: the item had no usable integer there


class Liste(Sequence[dict[str, Any]]):
    def __init__(self) -> None:
        self.items = JsonArraySpool(on_item=self._index)
        self._trekkids: list[str] = []
        self._versions = array("q")
        self._seqs = array("q")
        self.status: int | None = None
        self.content_type = ""
        self._index_of: dict[str, int | list[int]] | None = None
        self._seq_order: tuple[int, ...] | None = None

    def _index(self, item: Any) -> None:
        fields = item if isinstance(item, dict) else {}
        self._trekkids.append(sys.intern(str(fields.get("trekkid", ""))))
        for target, name in ((self._versions, "trekkversjon"), (self._seqs, "sekvensnummer")):
            value = _int(fields.get(name))
            target.append(NONE if value is None or abs(value) >= 1 << 62 else value)

    @property
    def keys(self) -> list[Key]:
        """(trekkid, trekkversjon) of every item, in the list's order."""
        return [self.key(i) for i in range(len(self._trekkids))]

    def key(self, index: int) -> Key:
        version = self._versions[index]
        return self._trekkids[index], None if version == NONE else version

    def index_of(self, key: Key) -> int | None:
        """The position of the item with this (trekkid, trekkversjon), or None."""
        if self._index_of is None:  # made once, sharing the interned trekkids: a few MB for 100 000 items
            index: dict[str, int | list[int]] = {}
            for i, t in enumerate(self._trekkids):
                found = index.setdefault(t, i)
                if found != i:  # a trekkid listed more than once (TP-LIST-04 says so): keep every position
                    index[t] = [*found, i] if isinstance(found, list) else [found, i]
            self._index_of = index
        found = self._index_of.get(key[0])
        candidates = found if isinstance(found, list) else [] if found is None else [found]
        return next((i for i in candidates if self.key(i) == key), None)

    def in_seq_order(self) -> tuple[int, ...]:
        """Indices of the items by ascending sekvensnummer (items without one first); sorted once (each page size
        that pages in windows asks)."""
        if self._seq_order is None or len(self._seq_order) != len(self._seqs):
            self._seq_order = tuple(sorted(range(len(self._seqs)), key=self._seqs.__getitem__))
        return self._seq_order

    def seq(self, index: int) -> int | None:
        value = self._seqs[index]
        return None if value == NONE else value

    @property
    def trekkids(self) -> list[str]:
        return self._trekkids

    @property
    def seqs(self) -> list[int | None]:
        """sekvensnummer of every item (None where it is not an integer), in the list's order."""
        return [None if s == NONE else s for s in self._seqs]

    # -- the BodySink the client streams the answer into --------------------------------------------------
    def write(self, chunk: bytes) -> None:
        self.items.write(chunk)

    def reset(self) -> None:
        self.items.reset()
        self._trekkids.clear()
        del self._versions[:], self._seqs[:]
        self._index_of = self._seq_order = None

    def finish(self) -> None:
        self.items.finish()

    # -- a sequence of items ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self.items[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def where_version_above(self, version: int) -> list[int]:
        """Indices of the items whose trekkversjon is above ``version``."""
        return [i for i, v in enumerate(self._versions) if v != NONE and v > version]

    def at(self, indices: Sequence[int]) -> list[dict[str, Any]]:
        return [self.items[i] for i in indices]

    def close(self) -> None:
        self.items.close()
