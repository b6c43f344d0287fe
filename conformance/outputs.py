"""Writing a run's output folder, in one order, and checking it for leaks afterwards.

1. ``evidence/``: every exchange as HAR 1.2-shaped JSON, one file per check, linked from the check;
2. the model with personal data pseudonymised: ``results.json``, ``junit.xml``, ``report.html``,
   ``report.pdf`` (when WeasyPrint works);
3. ``manifest.json`` (and ``manifest.jws`` with a signing key);
4. the leak scan: every file (PDF as text) is searched for every registered secret and, when
   pseudonymising, every personal value seen; a hit makes the run exit with 4.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.evidence import Exchange, Redactor
from conformance.integrity import write_manifest
from conformance.privacy import Pseudonymiser
from conformance.results import RunResult, write_json, write_junit

EVIDENCE_DIR = "evidence"


@dataclass
class WriteReport:
    folder: Path
    pdf: Path | None = None
    pdf_problem: str | None = None
    leaks: list[str] = field(default_factory=list)  # "file: label", never the value


def _learn(pseudo: Pseudonymiser, body: str) -> None:
    """Remember the personal values of a JSON body (non-JSON bodies are matched by pattern later)."""
    if body[:1] in "[{":
        with contextlib.suppress(ValueError):
            pseudo.learn(json.loads(body))


def _slug(nodeid: str) -> str:
    name = nodeid.split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:80] or "check"


def _headers(headers: dict[str, str], pseudo: Pseudonymiser) -> list[dict[str, str]]:
    return [{"name": k, "value": pseudo.text(v)} for k, v in headers.items()]


def _body(text: str, pseudo: Pseudonymiser) -> str:
    if text[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.dumps(pseudo.json(json.loads(text)), ensure_ascii=False)
    return pseudo.text(text)


def har_entry(e: Exchange, pseudo: Pseudonymiser) -> dict[str, Any]:
    import datetime as dt

    req_ct = e.request_headers.get("content-type", "")
    resp_ct = e.response_headers.get("content-type", "")
    entry: dict[str, Any] = {
        "startedDateTime": dt.datetime.fromtimestamp(e.started, dt.UTC).isoformat(timespec="milliseconds"),
        "time": round(e.elapsed_ms, 1),
        "request": {"method": e.method, "url": pseudo.text(e.url), "httpVersion": "HTTP/1.1",
                    "headers": _headers(e.request_headers, pseudo), "queryString": [], "headersSize": -1,
                    "bodySize": len(e.request_body)},
        "response": {"status": e.status or 0, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": _headers(e.response_headers, pseudo),
                     "content": {"size": len(e.response_body), "mimeType": resp_ct,
                                 "text": _body(e.response_body, pseudo)},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(e.response_body)},
        "cache": {}, "timings": {"send": 0, "wait": round(e.elapsed_ms, 1), "receive": 0},
        "_seq": e.seq, "_kind": e.kind, "_attempt": e.attempt, "_korrelasjonsid": e.korrelasjonsid,
    }
    if e.request_body:
        entry["request"]["postData"] = {"mimeType": req_ct, "text": _body(e.request_body, pseudo)}
    if e.error:
        entry["_error"] = pseudo.text(e.error)
    return entry


def write_evidence(folder: Path, exchanges: Iterable[Exchange], result: RunResult, pseudo: Pseudonymiser,
                   links: dict[str, str] | None = None) -> None:
    """One HAR file per group of exchanges (normally per check: ``evidence/NNN-<check>.json``). Sets
    ``check.evidence``; ``links`` maps a check to another group's file (e.g. a scenario's traffic)."""
    by_group: dict[str | None, list[Exchange]] = {}
    for e in exchanges:
        by_group.setdefault(e.check, []).append(e)
    target = folder / EVIDENCE_DIR
    target.mkdir(parents=True, exist_ok=True)
    names = {c.nodeid: f"{i:03d}-{_slug(c.nodeid)}.json" for i, c in enumerate(result.checks, start=1)}
    written: dict[str | None, str] = {}
    for n, (group, items) in enumerate(by_group.items(), start=1):
        name = names.get(group or "") or f"g{n:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', group or 'run')[:80]}.json"
        har = {"log": {"version": "1.2", "creator": {"name": "sbs-conformance", "version": __version__},
                       "comment": f"run {result.run_id}; {group or '(no check)'}",
                       "entries": [har_entry(e, pseudo) for e in items]}}
        (target / name).write_text(json.dumps(har, ensure_ascii=False, indent=1), encoding="utf-8")
        written[group] = f"{EVIDENCE_DIR}/{name}"
    for check in result.checks:
        group = check.nodeid if check.nodeid in written else (links or {}).get(check.nodeid)
        if group in written:
            check.evidence = written[group]


def map_texts(result: RunResult, text: Callable[[str], str]) -> None:
    """Apply ``text`` to every free text of the model in place: messages, warnings, steps, URLs, reasons."""
    for c in result.checks:
        c.message = text(c.message)
        c.warnings = [text(w) for w in c.warnings]
        c.steps = [text(s) for s in c.steps]
        c.exchanges = [{**x, "url": text(str(x.get("url", "")))} for x in c.exchanges]
    for r in result.requirements:
        r.reason = text(r.reason)


def pseudonymised(result: RunResult, pseudo: Pseudonymiser) -> RunResult:
    """A copy of the model in which every free text has personal numbers replaced."""
    out = copy.deepcopy(result)
    map_texts(out, pseudo.text)
    return out


def write_renderings(result: RunResult, folder: Path, *, pdf: bool = True,
                     pseudo: Pseudonymiser | None = None) -> WriteReport:
    """results.json, junit.xml, report.html and (if possible) report.pdf from one model. Bodies shown in the
    HTML come from ``evidence/`` and pass through ``pseudo`` (evidence may hold real values)."""
    if pseudo is None:
        pseudo = Pseudonymiser()
        for path in sorted((folder / EVIDENCE_DIR).glob("*.json")):
            for entry in json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]:
                _learn(pseudo, entry["response"]["content"].get("text") or "")
    from conformance.report.html import write_html

    report = WriteReport(folder)
    write_json(result, folder / "results.json")
    write_junit(result, folder / "junit.xml")
    write_html(result, folder / "report.html", folder=folder, pseudo=pseudo)
    if pdf:
        from conformance.report.pdf import PdfUnavailable, write_pdf

        try:
            report.pdf = write_pdf(result, folder / "report.pdf")
        except PdfUnavailable as exc:
            report.pdf_problem = str(exc)
    return report


def inputs_digests(spec_text: str | None, catalogue_text: str, config: Path | None) -> dict[str, str | None]:
    def digest(text: str | None) -> str | None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None

    return {"spec": digest(spec_text), "catalogue": digest(catalogue_text),
            "config": hashlib.sha256(config.read_bytes()).hexdigest() if config and config.is_file() else None}


def write_run(result: RunResult, folder: Path, exchanges: list[Exchange], *, redactor: Redactor,
              pseudonymise: bool = True, pdf: bool = True, sign_key: Path | None = None,
              inputs: dict[str, str | None] | None = None, carry_from: Path | None = None,
              links: dict[str, str] | None = None) -> WriteReport:
    folder.mkdir(parents=True, exist_ok=True)
    result.environment = {**result.environment, "inputs": inputs or {}}
    # Last value-layer pass with every secret registered during the run, before anything is written.
    for e in exchanges:
        redactor.reapply(e)
    map_texts(result, redactor.text)
    if carry_from is not None:  # evidence of results carried over from an earlier run
        import shutil

        for c in result.checks:
            if c.run_id and c.evidence and (carry_from / c.evidence).is_file():
                name = f"{EVIDENCE_DIR}/{c.run_id}-{Path(c.evidence).name}"
                (folder / EVIDENCE_DIR).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(carry_from / c.evidence, folder / name)
                c.evidence = name
    pseudo = Pseudonymiser(enabled=True)
    for e in exchanges:
        _learn(pseudo, e.response_body)
        _learn(pseudo, e.request_body)
    # Evidence keeps real values only with --no-pseudonymise (internal use); nothing else ever does.
    evidence_pseudo = pseudo if pseudonymise else Pseudonymiser(enabled=False)
    write_evidence(folder, exchanges, result, evidence_pseudo, links)
    shown = pseudonymised(result, pseudo)
    shown.environment = {**shown.environment, "pseudonymised_evidence": pseudonymise}
    report = write_renderings(shown, folder, pdf=pdf, pseudo=pseudo)
    result.checks = shown.checks  # keep the evidence links for the caller
    write_manifest(folder, result.run_id, inputs or {}, sign_key)
    report.leaks = leak_scan(folder, redactor.labelled(), pseudo.raw_values, skip_evidence_personal=not pseudonymise)
    return report


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        try:
            from pypdf import PdfReader

            return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages) + path.read_bytes().decode(
                "latin-1")
        except ImportError:
            return path.read_bytes().decode("latin-1")
    return path.read_bytes().decode("utf-8", "replace")


def leak_scan(folder: Path, secrets: Mapping[str, str] | Iterable[str], personal: Iterable[str],
              skip_evidence_personal: bool = False) -> list[str]:
    """Files (with what kind was found, never the value) that contain a secret or a personal value."""
    labels = dict(secrets) if isinstance(secrets, Mapping) else dict.fromkeys(secrets, "secret")
    labels = {s: label for s, label in labels.items() if len(s) >= 8}
    personal = [p for p in set(personal) if len(p) >= 9]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = _text_of(path)
        rel = path.relative_to(folder).as_posix()
        kinds = sorted({label for s, label in labels.items() if s in text})
        if kinds:
            found.append(f"{rel}: a registered secret ({', '.join(kinds)})")
        in_evidence = rel.startswith(f"{EVIDENCE_DIR}/")
        if not (in_evidence and skip_evidence_personal) and any(
                re.search(rf"(?<![0-9]){re.escape(p)}(?![0-9])", text) for p in personal):
            found.append(f"{rel}: a personal number (fødselsnummer, kontonummer or KID)")
    return found

