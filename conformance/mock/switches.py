"""Named switches of the mock (faults, variants): a set of names checked against a catalogue of known ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass
class Switches:
    """The switches turned on; subclasses say which names are known (the gate's and every profile's)."""

    KIND = "switch"
    enabled: set[str] = field(default_factory=set)
    _known: frozenset[str] | None = field(default=None, repr=False, compare=False)  # the names, once looked up

    @classmethod
    def known(cls) -> Mapping[str, Any]:
        raise NotImplementedError

    @classmethod
    def of(cls, names: Iterable[str]) -> Self:
        names = set(names)
        known = cls.known()
        unknown = names - known.keys()
        if unknown:
            raise ValueError(f"unknown {cls.KIND}(s): {', '.join(sorted(unknown))}; known: {', '.join(known)}")
        return cls(names)

    def on(self, name: str) -> bool:
        known = self._known
        if known is None:  # looked up once: the mock asks for every item it serves (known() merges every profile's)
            known = self._known = frozenset(self.known())
        assert name in known, name  # a typo here would silently disable a switch
        return name in self.enabled
