"""report.html: one self-contained page (no external assets, no scripts) rendered from RunResult."""

from __future__ import annotations

from pathlib import Path

import jinja2

from conformance.report.i18n import labels
from conformance.results import VERDICT_RULE_EN, VERDICT_RULE_NB, RunResult


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("conformance.report", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(result: RunResult, lang: str | None = None) -> str:
    lang = lang or result.lang
    problems = [r for r in result.requirements if r.status in ("failed", "error", "warning")]
    checks_by_id = {c.nodeid: c for c in result.checks}
    return _environment().get_template("report.html.j2").render(
        r=result, L=labels(lang), lang=lang, problems=problems, checks_by_id=checks_by_id,
        verdict_rule=VERDICT_RULE_EN if lang == "en" else VERDICT_RULE_NB)


def write_html(result: RunResult, path: Path, lang: str | None = None) -> None:
    path.write_text(render_html(result, lang), encoding="utf-8")
