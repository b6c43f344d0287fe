"""Run-to-run comparison per requirement (``sbs-conformance diff``, and ``--baseline`` in the report)."""

from __future__ import annotations

from typing import Any

from conformance.results import RunResult

_RANK = {"passed": 0, "waived": 1, "skipped": 1, "not_run": 1, "warning": 2, "error": 3, "failed": 4}


def diff_results(old: RunResult, new: RunResult) -> dict[str, Any]:
    before = {r.id: r.status for r in old.requirements}
    after = {r.id: r.status for r in new.requirements}
    changes = []
    for rid in list(dict.fromkeys([*before, *after])):
        a, b = before.get(rid, "absent"), after.get(rid, "absent")
        if a != b:
            trend = "better" if _RANK.get(b, 1) < _RANK.get(a, 1) else "worse" if _RANK.get(b, 1) > _RANK.get(a, 1) \
                else "changed"
            changes.append({"id": rid, "old": a, "new": b, "trend": trend})
    return {"old_run": old.run_id, "old_started": old.started, "old_verdict": old.verdict, "new_run": new.run_id,
            "new_verdict": new.verdict, "changes": changes, "unchanged": len(after) - len(changes)}


def render_text(diff: dict[str, Any]) -> str:
    lines = [f"{diff['old_run']} ({diff['old_verdict']}) -> {diff['new_run']} ({diff['new_verdict']}): "
             f"{len(diff['changes'])} changed, {diff['unchanged']} unchanged"]
    for c in diff["changes"]:
        lines.append(f"  {c['trend']:7} {c['id']:12} {c['old']} -> {c['new']}")
    return "\n".join(lines)
