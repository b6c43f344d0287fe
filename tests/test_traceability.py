"""Traceability guard: checks name only known requirement ids, and every required requirement has a check."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import conformance.suite
from conformance.requirements import load_catalogue


def suite_marks() -> dict[str, list[str]]:
    out = {}
    for info in pkgutil.iter_modules(conformance.suite.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.suite.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                ids = [i for m in getattr(fn, "pytestmark", []) if m.name == "requirement" for i in m.args]
                out[f"{info.name}::{name}"] = ids
    return out


def test_every_check_names_known_requirements():
    known = set(load_catalogue().ids)
    marks = suite_marks()
    assert marks, "no checks found"
    for check, ids in marks.items():
        assert ids, f"{check} has no @pytest.mark.requirement"
        assert set(ids) <= known, f"{check} names unknown id(s) {set(ids) - known}"


def test_every_required_requirement_has_a_check():
    covered = {i for ids in suite_marks().values() for i in ids}
    missing = [r.id for r in load_catalogue().requirements if r.severity == "required" and r.id not in covered]
    assert missing == []


def test_catalogue_entries_are_complete():
    catalogue = load_catalogue()
    assert len(catalogue.ids) == len(set(catalogue.ids)) == 28
    for r in catalogue.requirements:
        assert r.title_nb and r.title_en and r.source.startswith("https://") and r.applies_to
