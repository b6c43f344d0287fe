"""The registry of API profiles: the bundled ones, and any a package registers through the entry point group
``sbs_conformance.profiles`` (a :class:`~conformance.profiles.base.Profile` object, or a callable returning one).

The core reaches an API only through this registry (:func:`get`) and the profile's fields; it never imports a
profile module by name, so no import circle can form between a generic part and a profile.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from functools import cache

from conformance.errors import ConfigError
from conformance.profiles.base import CommonSetup, ErrorSample, Param, Profile

ENTRY_POINT_GROUP = "sbs_conformance.profiles"
DEFAULT = "trekkpaalegg"
ALL = "all"
#: The bundled profiles, in the order a report lists them (the module of each holds ``PROFILE``).
BUNDLED = ("conformance.profiles.trekkpaalegg", "conformance.profiles.trukketkildeskattpaaloenn",
           "conformance.profiles.kravogbetalinger", "conformance.profiles.utleggstrekk")


@cache
def _registry() -> dict[str, Profile]:
    found: list[Profile] = [importlib.import_module(m).PROFILE for m in BUNDLED]
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        found.append(loaded() if callable(loaded) and not isinstance(loaded, Profile) else loaded)
    out: dict[str, Profile] = {}
    prefixes: dict[str, str] = {}
    for profile in found:
        if profile.name in out or profile.name == ALL:
            raise ValueError(f"profile name {profile.name!r} is registered twice (or reserved)")
        if profile.requirement_prefix in prefixes or profile.client_prefix in prefixes:
            raise ValueError(f"profiles {prefixes[profile.requirement_prefix]} and {profile.name} share the "
                             f"requirement prefix {profile.requirement_prefix}")
        out[profile.name] = profile
        prefixes[profile.requirement_prefix] = profile.name
        if profile.client_prefix:
            prefixes[profile.client_prefix] = profile.name
    return out


@cache
def switch_owners() -> dict[str, str]:
    """fault or variant name -> the profile that defines it; ValueError when two profiles define the same name.

    Apart from the registry: a profile's switches live in its mock module, which a process that only looks a
    profile up (a reference client, a report) need not import (0.1-0.2 s of CPU for the four bundled mocks beside
    a reference client's own imports)."""
    owners: dict[str, str] = {}
    for profile in profiles():
        for name in (*profile.faults, *profile.variants):
            if name in owners and owners[name] != profile.name:
                raise ValueError(f"fault or variant {name!r} is defined by both {owners[name]} and {profile.name}")
            owners[name] = profile.name
    return owners


def names() -> list[str]:
    return list(_registry())


def get(name: str) -> Profile:
    try:
        return _registry()[name]
    except KeyError:
        raise ConfigError(f"unknown API {name!r}", f"choose one of {', '.join(names())}, or all") from None


def profiles() -> list[Profile]:
    return list(_registry().values())


def select(api: str | None) -> list[Profile]:
    """The profiles ``--api`` names: one, or ``all``."""
    if api in (None, ""):
        return [get(DEFAULT)]
    if api == ALL:
        return profiles()
    return [get(name.strip()) for name in str(api).split(",") if name.strip()]


def by_requirement(req_id: str) -> Profile | None:
    """The profile a requirement id belongs to, by its prefix (``TP-``, ``TKS-``; client ids too)."""
    for profile in profiles():
        for prefix in (profile.client_prefix, profile.requirement_prefix):
            if prefix and req_id.startswith(prefix + "-"):
                return profile
    return None


__all__ = ["ALL", "DEFAULT", "CommonSetup", "ErrorSample", "Param", "Profile", "by_requirement", "get", "names",
           "profiles", "select"]
