"""Data quality (recommended): identifiers and periods."""

from __future__ import annotations

import pytest

from conformance.datarules import identifier_problems, period_problems


@pytest.mark.requirement("TP-DATA-01")
def test_identifiers_valid(liste):
    problems = [p for i in liste for p in identifier_problems(i)]
    assert not problems, f"{len(problems)} problem(s): " + "; ".join(problems[:3])


@pytest.mark.requirement("TP-DATA-02")
def test_periods_consistent(liste):
    problems = [p for i in liste for p in period_problems(i)]
    assert not problems, f"{len(problems)} problem(s): " + "; ".join(problems[:3])
