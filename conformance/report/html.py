"""report.html (and the PDF's source): one self-contained page rendered from RunResult.

No external assets and no scripts: a strict Content-Security-Policy is declared in the page, status
filters are pure CSS (radio buttons), bodies are collapsible ``<details>`` in the HTML. The PDF is the same
template with ``pdf=True``: no filter controls, and for every failed, warning or error check its exchanges with
their bodies printed (cut to a readable length), so the document Skatteetaten receives holds the evidence.
Links from "Feil og mangler" go to the check inside the document, so they work in the PDF too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from conformance.messages import Message
from conformance.report.i18n import labels
from conformance.results import STATUSES, VERDICT_RULE, RunResult

BODY_CAP = 4_000  # characters of one body shown inline in the HTML
PDF_BODY_CAP = 1_500  # ... and in the PDF
INLINE_EXCHANGES = 15  # exchanges per check with inline bodies; the rest are listed and linked
PDF_EXCHANGES = 8  # exchanges per check listed in the PDF
PDF_BODIES = 3  # exchanges per failed/warning/error check whose bodies the PDF prints
PROBLEM_STATUSES = ("failed", "error", "warning")


_OPTIONS: dict[str, Any] = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs in Jinja's cache folder of this user (``_jinja2-cache-<uid>`` in the
    temporary folder): compiling report.html.j2 costs ~0.15 s of CPU, loading it ~2 ms. Jinja takes a cached one
    only for the same source (its checksum), Python and Jinja versions; the key adds the options the code was
    compiled with. A cache that cannot be read or written is passed by: the template is compiled."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        options = ",".join(f"{k}={v}" for k, v in sorted(_OPTIONS.items()))
        return hashlib.sha256(f"{name}|{filename}|{options}|jinja2 {jinja2.__version__}".encode()).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file (unpickling raises many kinds): compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _template_cache() -> jinja2.BytecodeCache | None:
    try:
        return _CompiledTemplates()
    except (OSError, RuntimeError):  # no temporary folder of our own (RuntimeError: an unsafe one)
        return None


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: its templates are compiled (or loaded) once, for the HTML and the PDF."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("conformance.report", "templates"),
                             bytecode_cache=_template_cache(), **_OPTIONS)
    env.filters["pretty"] = _pretty
    env.filters["css_string"] = css_string
    env.filters["show"] = show_value
    return env


def _pretty(text: str, cap: int = BODY_CAP) -> str:
    if text[:1] in "[{":
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return text if len(text) <= cap else text[:cap] + f"\n… ({len(text) - cap} more characters)"


def css_string(value: Any) -> Markup:
    """A value as the inside of a CSS string in the page's <style> (running header): CSS escapes, not HTML
    entities (which CSS does not decode), and no way to close the string or the style element."""
    out = []
    for ch in str(value or ""):
        if ch in '"\\<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return Markup("".join(out))


def show_value(value: Any, lang: str = "nb") -> str:
    """A configuration value as a reader expects it: lists joined, tables as ``key: value``, flags as words."""
    if isinstance(value, bool):
        return ("ja" if value else "nei") if lang != "en" else ("yes" if value else "no")
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v, lang) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {show_value(v, lang)}" for k, v in value.items())
    return "" if value is None else str(value)


def api_title(name: str, lang: str) -> str:
    """The API's title in the report's language (its name when the profile is not installed here)."""
    from conformance.profiles import get

    try:
        return get(name).title(lang)
    except (KeyError, ValueError):
        return name


def api_groups(result: RunResult, lang: str) -> list[dict[str, Any]]:
    """The requirements and checks of each judged API, in the result's API order: one section per API in a
    report over several. A check belongs to the API of its first requirement."""
    names = list(result.profiles) or [""]
    req_api = {r.id: (r.api if r.api in names else names[0]) for r in result.requirements}
    groups = {n: {"name": n, "title": api_title(n, lang) if n else "", "requirements": [], "checks": [],
                  "base_url": (result.target.get("base_urls") or {}).get(n) or "",
                  "spec": result.specs.get(n) or {}} for n in names}
    for req in result.requirements:
        groups[req_api[req.id]]["requirements"].append(req)
    for check in result.checks:
        owner = next((req_api[rid] for rid in check.requirements if rid in req_api), names[0])
        groups[owner]["checks"].append(check)
    return [g for g in groups.values() if g["requirements"] or g["checks"]]


def call_counts(result: RunResult) -> dict[str, dict[str, Any]]:
    """Per check: the calls it made itself (``own``), the calls another check made that it judged too
    (``shared``), and the evidence files holding those shared calls (``shared_files``, in call order)."""
    owner: dict[int, str] = {}
    for check in result.checks:
        if check.evidence:
            for x in check.exchanges:
                if not x.get("relied") and x.get("seq") is not None:
                    owner.setdefault(x["seq"], check.evidence)
    counts: dict[str, dict[str, Any]] = {}
    for check in result.checks:
        shared = [x for x in check.exchanges if x.get("relied")]
        own = check.exchange_count if check.exchange_count is not None else len(check.exchanges) - len(shared)
        files = dict.fromkeys(owner[x["seq"]] for x in shared if owner.get(x.get("seq")) not in (None, check.evidence))
        counts[check.nodeid] = {"own": own, "shared": len(shared), "shared_files": list(files)}
    return counts


def render_html(result: RunResult, lang: str | None = None, *, previews: Mapping[str, list[dict[str, Any]]]
                | None = None, pdf: bool = False) -> str:
    lang = lang or result.lang
    groups = api_groups(result, lang)
    L = labels(lang)
    problems = [r for r in result.requirements if r.status in PROBLEM_STATUSES]
    not_run_required = result.not_run_required
    waived_required = [r for r in result.requirements if r.status == "waived" and r.severity == "required"]
    checks_by_id = {c.nodeid: c for c in result.checks}
    anchors = {c.nodeid: f"check-{i}" for i, c in enumerate(result.checks, start=1)}
    titles = {r.id: r.title for r in result.requirements}
    return _environment().get_template("report.html.j2").render(
        r=result, L=L, lang=lang, problems=problems, not_run_required=not_run_required,
        waived_required=waived_required, checks_by_id=checks_by_id, anchors=anchors, titles=titles,
        statuses=STATUSES, previews=previews or {}, pdf=pdf, calls=call_counts(result), pdf_exchanges=PDF_EXCHANGES,
        pdf_bodies=PDF_BODIES, pdf_body_cap=PDF_BODY_CAP, problem_statuses=PROBLEM_STATUSES,
        verdict_rule=VERDICT_RULE.render(lang), groups=groups, several=len(groups) > 1,
        api_title=" · ".join(g["title"] for g in groups if g["title"]) or result.spec.get("title") or "",
        interruption=result.interruption, Message=Message)


def write_html(result: RunResult, path: Path, lang: str | None = None, *,
               previews: Mapping[str, list[dict[str, Any]]] | None = None) -> None:
    path.write_text(render_html(result, lang, previews=previews), encoding="utf-8")
