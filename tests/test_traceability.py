"""Traceability guard: checks name only known requirement ids, and every required requirement has a check."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import conformance.suite
from conformance.catalogue import load_catalogue
from conformance.profiles import get, profiles

APIS = [p.name for p in profiles()]


def _marks(package) -> dict[str, list[str]]:
    out = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                ids = [i for m in getattr(fn, "pytestmark", []) if m.name == "requirement" for i in m.args]
                out[f"{info.name}::{name}"] = ids
    return out


def suite_marks(api: str) -> dict[str, list[str]]:
    """The requirement ids of the checks that judge an API: the common ones (``*-`` resolved) and its own."""
    profile = get(api)
    known = set(load_catalogue(api).ids)
    common = {check: [profile.requirement(i[2:]) if i.startswith("*-") else i for i in ids]
              for check, ids in _marks(conformance.suite).items()}
    # as the plugin does: a common check runs for an API whose catalogue has its ids (HEND-*: APIs with a list)
    common = {check: ids for check, ids in common.items() if set(ids) <= known}
    return {**common, **_marks(importlib.import_module(f"{profile.package}.checks"))}


def test_every_common_check_judges_some_api():
    applies = {check for api in APIS for check in suite_marks(api) if check in _marks(conformance.suite)}
    assert applies == set(_marks(conformance.suite))


@pytest.mark.parametrize("api", APIS)
def test_every_check_names_known_requirements(api):
    known = set(load_catalogue(api).ids)
    marks = suite_marks(api)
    assert marks, "no checks found"
    for check, ids in marks.items():
        assert ids, f"{check} has no @pytest.mark.requirement"
        assert set(ids) <= known, f"{check} names unknown id(s) {set(ids) - known}"


@pytest.mark.parametrize("api", APIS)
def test_every_required_requirement_has_a_check(api):
    covered = {i for ids in suite_marks(api).values() for i in ids}
    missing = [r.id for r in load_catalogue(api).requirements if r.severity == "required" and r.id not in covered]
    assert missing == []


def test_catalogue_entries_are_complete():
    catalogue = load_catalogue()
    assert len(catalogue.ids) == len(set(catalogue.ids)) == 28
    for r in catalogue.requirements:
        assert r.title_nb and r.title_en and r.source.startswith("https://") and r.applies_to
