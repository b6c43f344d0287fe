"""Named switches of the mock (faults, variants): a set of names checked against a catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self


@dataclass
class Switches:
    """The switches turned on; subclasses name their catalogue (``KNOWN``) and what one switch is called."""

    KNOWN: ClassVar[Mapping[str, Any]] = {}
    KIND: ClassVar[str] = "switch"
    enabled: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, names: Iterable[str]) -> Self:
        names = set(names)
        unknown = names - cls.KNOWN.keys()
        if unknown:
            raise ValueError(f"unknown {cls.KIND}(s): {', '.join(sorted(unknown))}; known: {', '.join(cls.KNOWN)}")
        return cls(names)

    def on(self, name: str) -> bool:
        assert name in self.KNOWN, name  # a typo here would silently disable a switch
        return name in self.enabled
