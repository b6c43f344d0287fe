"""The assumption register: everything the suite or the mock expects that Skatteetaten or Digdir do not document.

Each assumption has an id (``A-TP-PAGE-400``), a title in both languages, the value expected by default, the
alternatives it may be set to (``--assume ID=VALUE``, or a TOML table ``[assume]``), the source or reasoning, and
the requirements that rest on it. Checks report what they observed against it; the run lists every assumption
with what became of it (held, did not hold, not observed), so a reviewer can always tell "violates the
documentation" (a failure) from "differs from our assumption" (a warning that names it, unless
``--strict-assumptions``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from conformance import yamlfile
from conformance.errors import ConfigError

SCOPES = ("checks", "mock")  # who relies on it: the checks judging a target, or the mock serving a client


@dataclass(frozen=True)
class Assumption:
    id: str
    title_nb: str
    title_en: str
    default: str
    values: Mapping[str, tuple[str, str]]  # value -> (nb, en) meaning
    reason_nb: str
    reason_en: str
    requirements: tuple[str, ...]
    scope: str = "checks"
    source: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def reason(self, lang: str) -> str:
        return self.reason_en if lang == "en" else self.reason_nb

    def meaning(self, value: str, lang: str) -> str:
        nb, en = self.values.get(value, (value, value))
        return en if lang == "en" else nb


@dataclass(frozen=True)
class Register:
    assumptions: tuple[Assumption, ...]
    text: str = ""

    def get(self, assumption_id: str) -> Assumption | None:
        return next((a for a in self.assumptions if a.id == assumption_id), None)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.assumptions]

    def resolve(self, overrides: Mapping[str, str]) -> dict[str, str]:
        """The value of every assumption: the default, or the override; an unknown id or value is a
        configuration error that names what is known."""
        values = {a.id: a.default for a in self.assumptions}
        for key, value in overrides.items():
            assumption = self.get(key)
            if assumption is None:
                close = difflib.get_close_matches(key, self.ids, n=1)
                raise ConfigError(f"unknown assumption {key!r} in --assume",
                                  f"did you mean {close[0]!r}?" if close else f"known: {', '.join(self.ids)}")
            if value not in assumption.values:
                raise ConfigError(f"--assume {key}={value}: not a value of this assumption",
                                  f"use one of {', '.join(assumption.values)}")
            values[key] = value
        return values


def parse_register(text: str, name: str) -> Register:
    data = yamlfile.load(text) or {}
    out = []
    for entry in data.get("assumptions", []):
        values = {str(k): (str(v["nb"]), str(v["en"])) for k, v in entry["values"].items()}
        a = Assumption(entry["id"], entry["title_nb"], entry["title_en"], str(entry["default"]), values,
                       entry["reason_nb"], entry["reason_en"], tuple(entry.get("requirements", [])),
                       entry.get("scope", "checks"), entry.get("source", ""))
        if a.default not in a.values or a.scope not in SCOPES or not a.id.startswith("A-"):
            raise ValueError(f"assumption register {name}: bad entry {a.id}")
        out.append(a)
    ids = [a.id for a in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"assumption register {name}: duplicate ids")
    return Register(tuple(out), text)


@cache
def load_register(profile: str = "trekkpaalegg") -> Register:
    """A profile's register (``assumptions.yaml`` in its package)."""
    from conformance.profiles import get

    return parse_register(get(profile).text("assumptions.yaml"), profile)


def register_of(profiles: Iterable[str]) -> Register:
    """The registers of several profiles as one (ids are unique across profiles: A-TP-..., A-TKS-...)."""
    registers = [load_register(name) for name in profiles]
    if len(registers) == 1:
        return registers[0]
    merged = tuple(a for r in registers for a in r.assumptions)
    ids = [a.id for a in merged]
    if len(set(ids)) != len(ids):
        raise ValueError("assumption ids are not unique across profiles")
    return Register(merged, "\n".join(r.text for r in registers))


def parse_assume(items: Iterable[str]) -> dict[str, str]:
    """``--assume ID=VALUE`` options as a mapping (a malformed one is a configuration error)."""
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"--assume {item!r} is not ID=VALUE", "e.g. --assume A-TP-EMPTY-BODY=empty-or-list")
        out[key.strip()] = value.strip()
    return out


@dataclass
class Observation:
    """What one check saw of one assumption."""

    id: str
    held: bool
    observed: str
    check: str = ""


@dataclass
class Outcome:
    """What became of an assumption in a run."""

    id: str
    title: str
    value: str
    meaning: str
    default: str
    reason: str
    source: str
    requirements: list[str]
    scope: str
    outcome: str = "not_observed"  # held | not_held | not_observed
    observed: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def summarise(register: Register, values: Mapping[str, str], observations: Iterable[Observation],
              lang: str) -> list[dict[str, Any]]:
    """Every assumption with the value used and what the checks saw: for results.json and the report."""
    seen: dict[str, list[Observation]] = {}
    for o in observations:
        seen.setdefault(o.id, []).append(o)
    out = []
    for a in register.assumptions:
        own = seen.get(a.id, [])
        outcome = "not_observed" if not own else ("held" if all(o.held for o in own) else "not_held")
        value = values.get(a.id, a.default)
        out.append(Outcome(a.id, a.title(lang), value, a.meaning(value, lang), a.default, a.reason(lang), a.source,
                           list(a.requirements), a.scope, outcome,
                           list(dict.fromkeys(o.observed for o in own if o.observed)),
                           list(dict.fromkeys(o.check for o in own if o.check))).__dict__)
    return out
