"""The rules of Krav og betalinger that the mock, the checks and the client check share: the period (at most one
year), which items a period holds, and how the open-claims overview is computed from the claims.

The overview formula is not documented (assumption ``A-KOB-TOTALS``): per claim group and in total,
``sumForfalteKrav`` is the remaining amount of the instalments due before today, ``sumIkkeForfalteKrav`` the rest,
``sumStipulerteRenter`` the claims' estimated interest, and ``saldo`` their sum; the total also has
``sumUplasserteInnbetalinger`` (unplaced payments), subtracted from its ``saldo``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

#: the date field that puts an item in a period, per endpoint (claims: their creation date, A-KOB-KRAV-PERIOD)
DATE_FIELD = {"krav": "opprettelsesdatoForKrav", "innbetalinger": "innbetalingsdato",
              "utbetalinger": "utbetaltdato"}
#: the list each period endpoint answers with
LIST_FIELD = {"krav": "krav", "innbetalinger": "innbetaling", "utbetalinger": "utbetaling"}


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def one_year_later(start: dt.date) -> dt.date:
    """The last day a period starting on ``start`` may end on: one year minus a day (2023-01-01 -> 2023-12-31)."""
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def one_year_before(end: dt.date) -> dt.date:
    """The first day of the longest period that ends on ``end`` (2023-12-31 -> 2023-01-01)."""
    try:
        return end.replace(year=end.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return end.replace(year=end.year - 1, day=28) + dt.timedelta(days=1)


def period_problem(fra: str | None, til: str | None, *, fra_required: bool = True) -> str | None:
    """Why a period is invalid (``None``: valid): a missing or malformed date, ``fraOgMed`` after ``tilOgMed``,
    or a span over one year. Without ``tilOgMed`` the period ends today."""
    if fra is None:
        return "missing fraOgMed" if fra_required else None
    start, end = parse_date(fra), parse_date(til) if til is not None else dt.date.today()
    if start is None or end is None:
        return "malformed date"
    if start > end:
        return "fraOgMed after tilOgMed"
    if end > one_year_later(start):
        return "longer than one year"
    return None


def windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """``[start, end]`` split into periods of at most one year, in order (what a client must ask for)."""
    out = []
    while start <= end:
        last = min(end, one_year_later(start))
        out.append((start, last))
        start = last + dt.timedelta(days=1)
    return out


def in_period(items: Iterable[dict[str, Any]], endpoint: str, fra: str, til: str) -> list[dict[str, Any]]:
    field = DATE_FIELD[endpoint]
    return [i for i in items if fra <= str(i.get(field, "")) <= til]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _sums(claims: Iterable[dict[str, Any]], today: dt.date) -> dict[str, float]:
    due = not_due = interest = 0.0
    for claim in claims:
        interest += _number(claim.get("stipulerteRenter"))
        for forfall in claim.get("kravforfall") or []:
            day = parse_date(forfall.get("forfallsdato"))
            remaining = _number(forfall.get("gjenstaaendeBeloep"))
            if day is not None and day < today:
                due += remaining
            else:
                not_due += remaining
    return {"sumStipulerteRenter": round(interest, 2), "sumForfalteKrav": round(due, 2),
            "sumIkkeForfalteKrav": round(not_due, 2)}


def overview(claims: list[dict[str, Any]], unplaced: list[dict[str, Any]], today: dt.date | None = None
             ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """(``totalOversikt``, ``oversiktPerKravgruppe``) of open claims and unplaced payments (A-KOB-TOTALS)."""
    today = today or dt.date.today()
    total = _sums(claims, today)
    total["sumUplasserteInnbetalinger"] = round(sum(_number(p.get("uplassertBeloep")) for p in unplaced), 2)
    total["saldo"] = round(total["sumForfalteKrav"] + total["sumIkkeForfalteKrav"] + total["sumStipulerteRenter"]
                           - total["sumUplasserteInnbetalinger"], 2)
    groups: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        groups.setdefault(str(claim.get("kravgruppe") or ""), []).append(claim)
    per_group = []
    for name in sorted(groups):
        sums = _sums(groups[name], today)
        per_group.append({"kravgruppe": name, **sums, "saldo": round(sum(sums.values()), 2)})
    return total, per_group


def overview_differences(body: dict[str, Any], today: dt.date | None = None, tolerance: float = 0.005
                         ) -> list[str]:
    """Where an ``aapnekrav`` answer's overview disagrees with its own claims (field paths)."""
    claims = [c for c in body.get("aapentKravMedGjenstaaendeBeloep") or [] if isinstance(c, dict)]
    unplaced = [p for p in body.get("innbetalingMedUplassertBeloep") or [] if isinstance(p, dict)]
    total, per_group = overview(claims, unplaced, today)
    out = []
    given_total = body.get("totalOversikt") or {}
    for key, want in total.items():
        if abs(_number(given_total.get(key)) - want) > tolerance:
            out.append(f"totalOversikt.{key}: {given_total.get(key)!r}, the claims give {want}")
    given_groups = {str(g.get("kravgruppe")): g for g in body.get("oversiktPerKravgruppe") or [] if isinstance(g, dict)}
    for group in per_group:
        given = given_groups.get(group["kravgruppe"])
        if given is None:
            out.append(f"oversiktPerKravgruppe[{group['kravgruppe']}] missing")
            continue
        for key, want in group.items():
            if key != "kravgruppe" and abs(_number(given.get(key)) - want) > tolerance:
                out.append(f"oversiktPerKravgruppe[{group['kravgruppe']}].{key}: {given.get(key)!r}, the claims "
                           f"give {want}")
    return out
