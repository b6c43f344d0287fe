"""Paging a list by sequence number, for every API that has one: the Trekkpålegg list (exclusive cursor: the next
page starts *after* the highest sekvensnummer read) and the event lists (hendelseliste; inclusive cursor: the next
page starts *at* the highest + 1). One loop, so both stop on a short page and both refuse a server that does not
advance (it would never let the loop end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.apiclient import UnexpectedBody
from conformance.messages import Message


@dataclass(frozen=True)
class Cursor:
    """How a list's start parameter relates to what was read: next start = highest sekvensnummer + ``step``."""

    name: str
    step: int


EXCLUSIVE = Cursor("exclusive", 0)  # Trekkpålegg: fraSekvensnummer = the highest received ("newer than")
INCLUSIVE = Cursor("inclusive", 1)  # hendelseliste: fraSekvensnummer = the last received + 1


@dataclass(frozen=True)
class Page:
    """One page of the loop: what was asked (``start``, ``size``) and what came back."""

    start: int
    size: int
    items: list[dict[str, Any]]

    @property
    def last(self) -> bool:
        return len(self.items) < self.size

    @property
    def highest(self) -> int | None:
        return max((int(i["sekvensnummer"]) for i in self.items), default=None)


def pages(fetch: Callable[[int, int], list[dict[str, Any]]], start: int, size: int, cursor: Cursor, *,
          max_pages: int | None = None, expected_items: int | None = None,
          make: Callable[[int, int, list[dict[str, Any]]], Any] = Page) -> Iterator[Any]:
    """Pages (``make(start, size, items)``) fetched lazily one at a time until a short page (or ``max_pages``).
    With ``expected_items`` (the list's size, when known) a server that keeps sending full pages beyond them is
    stopped."""
    bound = None if expected_items is None else expected_items // size + 1
    count = 0
    while True:
        page = make(start, size, fetch(start, size))
        yield page
        count += 1
        if page.last or (max_pages is not None and count >= max_pages):
            return
        highest = page.highest
        nxt = None if highest is None else highest + cursor.step
        if nxt is None or nxt <= start:
            raise UnexpectedBody(Message("api.not_advancing", {"fra": start, "highest": highest}))
        if bound is not None and count >= bound:
            raise UnexpectedBody(Message("api.too_many_pages", {"pages": bound, "maks": size,
                                                                "count": expected_items}))
        start = nxt
