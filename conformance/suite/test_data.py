"""Data quality (recommended): identifiers and periods."""

from __future__ import annotations

import pytest

from conformance.datarules import identifier_problems, period_problems
from conformance.messages import join
from conformance.outcomes import expect


@pytest.mark.requirement("TP-DATA-01")
def test_identifiers_valid(liste):
    problems = [p for i in liste for p in identifier_problems(i)]
    expect(not problems, "tp.data.problems", found=join(problems, limit=3))


@pytest.mark.requirement("TP-DATA-02")
def test_periods_consistent(liste):
    problems = [p for i in liste for p in period_problems(i)]
    expect(not problems, "tp.data.problems", found=join(problems, limit=3))
