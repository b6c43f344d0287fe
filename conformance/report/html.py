"""report.html (and the PDF's source): one self-contained page rendered from RunResult.

No external assets and no scripts: a strict Content-Security-Policy is declared in the page, status
filters are pure CSS (radio buttons), bodies are collapsible ``<details>``. Exchange bodies come from
``evidence/`` and are inlined only up to a size cap; the rest is linked.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import jinja2

from conformance.privacy import Pseudonymiser
from conformance.report.i18n import labels
from conformance.results import STATUSES, VERDICT_RULE_EN, VERDICT_RULE_NB, RunResult

BODY_CAP = 4_000  # characters of one body shown inline
INLINE_EXCHANGES = 15  # exchanges per check with inline bodies; the rest are listed and linked
PDF_EXCHANGES = 8  # exchanges per check listed in the PDF


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("conformance.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["pretty"] = _pretty
    return env


def _pretty(text: str) -> str:
    if text[:1] in "[{":
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return text if len(text) <= BODY_CAP else text[:BODY_CAP] + f"\n… ({len(text) - BODY_CAP} more characters)"


def _bodies(folder: Path | None, result: RunResult, pseudo: Pseudonymiser | None) -> dict[str, list[dict[str, Any]]]:
    """Per check: the first exchanges' request/response bodies from its evidence file."""
    out: dict[str, list[dict[str, Any]]] = {}
    if folder is None:
        return out
    pseudo = pseudo or Pseudonymiser()
    for c in result.checks:
        path = folder / c.evidence if c.evidence else None
        if path is None or not path.is_file():
            continue
        entries = json.loads(path.read_text(encoding="utf-8"))["log"]["entries"][:INLINE_EXCHANGES]
        out[c.nodeid] = [{"request": pseudo.text((e["request"].get("postData") or {}).get("text", "")),
                          "response": pseudo.text(e["response"]["content"].get("text") or "")} for e in entries]
    return out


def render_html(result: RunResult, lang: str | None = None, *, folder: Path | None = None,
                pseudo: Pseudonymiser | None = None, pdf: bool = False) -> str:
    lang = lang or result.lang
    L = labels(lang)
    problems = [r for r in result.requirements if r.status in ("failed", "error", "warning")]
    waived_required = [r for r in result.requirements if r.status == "waived" and r.severity == "required"]
    checks_by_id = {c.nodeid: c for c in result.checks}
    titles = {r.id: r.title for r in result.requirements}
    return _environment().get_template("report.html.j2").render(
        r=result, L=L, lang=lang, problems=problems, waived_required=waived_required, checks_by_id=checks_by_id,
        titles=titles, statuses=STATUSES, bodies={} if pdf else _bodies(folder, result, pseudo), pdf=pdf,
        pdf_exchanges=PDF_EXCHANGES, verdict_rule=VERDICT_RULE_EN if lang == "en" else VERDICT_RULE_NB)


def write_html(result: RunResult, path: Path, lang: str | None = None, *, folder: Path | None = None,
               pseudo: Pseudonymiser | None = None) -> None:
    path.write_text(render_html(result, lang, folder=folder, pseudo=pseudo), encoding="utf-8")
