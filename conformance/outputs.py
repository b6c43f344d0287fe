"""Writing a run's output folder, in one order, and checking it for leaks afterwards.

1. ``evidence/``: every exchange as HAR 1.2-shaped JSON, one file per check, linked from the check, written
   as the exchanges are read back from the spool (memory does not grow with their number);
2. the model with personal data pseudonymised: ``results.json``, ``junit.xml``, ``report.html``,
   ``report.pdf`` (when WeasyPrint works); the report shows the first exchanges' bodies, collected on the way;
3. ``manifest.json`` (and ``manifest.jws`` with a signing key);
4. the leak scan: every file (PDF as text) is searched for every registered secret, any JWT-shaped fragment
   and, when pseudonymising, every personal value seen; a hit makes the run exit with 4. It is linear in the
   size of the output: personal values are found by looking up the text's digit runs in a set.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from conformance import __version__
from conformance.evidence import JWT_FRAGMENT, Exchange, Redactor
from conformance.integrity import write_manifest
from conformance.messages import Message
from conformance.privacy import Pseudonymiser, digit_runs
from conformance.results import RunResult, write_json, write_junit

if TYPE_CHECKING:
    from conformance.report.pdfworker import PdfWorker

EVIDENCE_DIR = "evidence"
PREVIEW_EXCHANGES = 15  # exchanges per check whose bodies the report shows
PREVIEW_CHARS = 4_000  # characters of one body kept for the report


@dataclass
class WriteReport:
    folder: Path
    pdf: Path | None = None
    pdf_problem: str | None = None
    pdf_source: str | None = None  # the HTML the PDF was rendered from (its text, for the leak scan)
    leaks: list[str] = field(default_factory=list)  # "file: label", never the value




def _slug(nodeid: str) -> str:
    name = nodeid.split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:80] or "check"


def _headers(headers: dict[str, str], pseudo: Pseudonymiser) -> list[dict[str, str]]:
    return [{"name": k, "value": pseudo.text(v)} for k, v in headers.items()]


def har_entry(e: Exchange, pseudo: Pseudonymiser) -> dict[str, Any]:
    req_ct = e.request_headers.get("content-type", "")
    resp_ct = e.response_headers.get("content-type", "")
    size = len(e.response_body.encode("utf-8", "surrogatepass")) if e.response_size is None else e.response_size
    content: dict[str, Any] = {"size": size, "mimeType": resp_ct,
                               "text": pseudo.body(e.response_body, resp_ct, whole=not e.response_cut)}
    if e.response_cut:
        content["comment"] = f"the first {len(e.response_body):,} characters of the body (of {size:,} bytes)"
    entry: dict[str, Any] = {
        "startedDateTime": dt.datetime.fromtimestamp(e.started, dt.UTC).isoformat(timespec="milliseconds"),
        "time": round(e.elapsed_ms, 1),
        "request": {"method": e.method, "url": pseudo.text(e.url), "httpVersion": "HTTP/1.1",
                    "headers": _headers(e.request_headers, pseudo), "queryString": [], "headersSize": -1,
                    "bodySize": len(e.request_body)},
        "response": {"status": e.status or 0, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": _headers(e.response_headers, pseudo),
                     "content": content, "redirectURL": "", "headersSize": -1, "bodySize": size},
        "cache": {}, "timings": {"send": 0, "wait": round(e.elapsed_ms, 1), "receive": 0},
        "_seq": e.seq, "_kind": e.kind, "_attempt": e.attempt, "_korrelasjonsid": e.korrelasjonsid,
    }
    if e.request_body:
        entry["request"]["postData"] = {"mimeType": req_ct, "text": pseudo.body(e.request_body, req_ct)}
    if e.error:
        entry["_error"] = pseudo.text(e.error)
    return entry


def preview_of(entry: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of one exchange's bodies (already pseudonymised), cut to a readable length."""
    def cut(text: str) -> str:
        return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + f"\n… (+{len(text) - PREVIEW_CHARS})"

    return {"seq": entry["_seq"], "request": cut((entry["request"].get("postData") or {}).get("text", "")),
            "response": cut(entry["response"]["content"].get("text") or "")}


class _HarWriter:
    """One HAR file per group, written entry by entry (the files stay open until :meth:`close`)."""

    def __init__(self, folder: Path, result: RunResult) -> None:
        self.target = folder / EVIDENCE_DIR
        self.target.mkdir(parents=True, exist_ok=True)
        self.run_id = result.run_id
        self.names = {c.nodeid: f"{i:03d}-{_slug(c.nodeid)}.json" for i, c in enumerate(result.checks, start=1)}
        self.files: dict[str | None, IO[str]] = {}
        self.written: dict[str | None, str] = {}
        self.previews = _Previews(result)

    def add(self, group: str | None, entry: dict[str, Any]) -> None:
        f = self.files.get(group)
        if f is None:
            n = len(self.files) + 1
            name = self.names.get(group or "") or \
                f"g{n:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', group or 'run')[:80]}.json"
            f = self.files[group] = (self.target / name).open("w", encoding="utf-8")
            head = {"version": "1.2", "creator": {"name": "sbs-conformance", "version": __version__},
                    "comment": f"run {self.run_id}; {group or '(no check)'}"}
            f.write(json.dumps({"log": head}, ensure_ascii=False)[:-2] + ', "entries": [\n')
            self.written[group] = f"{EVIDENCE_DIR}/{name}"
        else:
            f.write(",\n")
        f.write(json.dumps(entry, ensure_ascii=False))
        self.previews.offer(entry)

    def close(self) -> None:
        for f in self.files.values():
            f.write("\n]}}\n")
            f.close()


class _Previews:
    """The bodies the report shows: those of the first exchanges each check lists (its own and the ones it relied
    on), kept by seq while the evidence is written or read, so no second pass over the evidence is needed."""

    def __init__(self, result: RunResult) -> None:
        self.listed = {c.nodeid: [x["seq"] for x in c.exchanges[:PREVIEW_EXCHANGES]] for c in result.checks}
        self.wanted = {seq for seqs in self.listed.values() for seq in seqs}
        self.by_seq: dict[int, dict[str, Any]] = {}

    def offer(self, entry: dict[str, Any]) -> None:
        if entry.get("_seq") in self.wanted:
            self.by_seq[entry["_seq"]] = preview_of(entry)

    def per_check(self) -> dict[str, list[dict[str, Any]]]:
        return {nodeid: [self.by_seq[s] for s in seqs if s in self.by_seq] for nodeid, seqs in self.listed.items()}


def write_evidence(folder: Path, exchanges: Iterable[Exchange], result: RunResult, pseudo: Pseudonymiser,
                   links: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """One HAR file per group of exchanges (normally per check: ``evidence/NNN-<check>.json``). Sets
    ``check.evidence``; ``links`` maps a check to another group's file (e.g. a scenario's traffic). Returns the
    previews of each check's first bodies, for the report."""
    writer = _HarWriter(folder, result)
    try:
        for e in exchanges:
            writer.add(e.check, har_entry(e, pseudo))
    finally:
        writer.close()
    for check in result.checks:
        group = check.nodeid if check.nodeid in writer.written else (links or {}).get(check.nodeid)
        if group in writer.written:
            check.evidence = writer.written[group]
    return writer.previews.per_check()


def map_texts(result: RunResult, text: Callable[[str], str]) -> None:
    """Apply ``text`` to every free text of the model in place: messages (and their parameters), warnings,
    steps, URLs, reasons, the interruption."""
    def refs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [Message.from_ref(r).map_strings(text).ref() for r in items]

    for c in result.checks:
        c.message = text(c.message)
        c.warnings = [text(w) for w in c.warnings]
        c.steps = [text(s) for s in c.steps]
        c.exchanges = [{**x, "url": text(str(x.get("url", ""))), "error": text(x["error"]) if x.get("error")
                        else x.get("error")} for x in c.exchanges]
        if c.message_ref:
            c.message_ref = Message.from_ref(c.message_ref).map_strings(text).ref()
        c.step_refs, c.warning_refs = refs(c.step_refs), refs(c.warning_refs)
    for r in result.requirements:
        r.reason = text(r.reason)
        if r.reason_ref:
            r.reason_ref = Message.from_ref(r.reason_ref).map_strings(text).ref()
    if result.error:
        result.error = {k: text(v) if isinstance(v, str) else v for k, v in result.error.items()}
    for a in result.assumptions:  # what the checks observed may hold a looked-up person (a URL, a value)
        a["observed"] = [text(o) for o in a.get("observed", [])]
    result.settings = {k: _map_value(v, text) for k, v in result.settings.items()}  # --param values


def _map_value(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list | tuple):
        return [_map_value(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _map_value(v, text) for k, v in value.items()}
    return value


def pseudonymised(result: RunResult, pseudo: Pseudonymiser) -> RunResult:
    """A copy of the model in which every free text has personal numbers replaced."""
    out = copy.deepcopy(result)
    map_texts(out, pseudo.text)
    return out


def _previews_from_folder(folder: Path, result: RunResult, pseudo: Pseudonymiser) -> dict[str, list[dict[str, Any]]]:
    """The previews for a re-render (``report <folder>``), from the evidence files."""
    previews = _Previews(result)
    for path in sorted({folder / c.evidence for c in result.checks if c.evidence}):
        if path.is_file():
            for entry in json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]:
                previews.offer(entry)
    return {k: [{n: pseudo.text(v) if isinstance(v, str) else v for n, v in p.items()} for p in items]
            for k, items in previews.per_check().items()}


def write_renderings(result: RunResult, folder: Path, *, pdf: bool = True, pseudo: Pseudonymiser | None = None,
                     previews: dict[str, list[dict[str, Any]]] | None = None,
                     pdf_worker: PdfWorker | None = None) -> WriteReport:
    """results.json, junit.xml, report.html and (if possible) report.pdf from one model. Bodies shown in the
    report are ``previews`` (or read from ``evidence/``), passed through ``pseudo`` (evidence may hold real
    values). A ``pdf_worker`` the run started lays out the PDF while the other files are written."""
    if pseudo is None:
        pseudo = Pseudonymiser()
        for path in sorted((folder / EVIDENCE_DIR).glob("*.json")):
            for entry in json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]:
                content = entry["response"]["content"]
                pseudo.learn_body(content.get("text") or "", content.get("mimeType") or "")
    if previews is None:
        previews = _previews_from_folder(folder, result, pseudo)
    else:
        previews = {k: [{n: pseudo.text(v) if isinstance(v, str) else v for n, v in p.items()} for p in items]
                    for k, items in previews.items()}
    from conformance.report.html import write_html
    from conformance.report.pdf import PdfUnavailable, start_pdf

    report = WriteReport(folder)
    finish_pdf = start_pdf(result, folder / "report.pdf", previews=previews, worker=pdf_worker) if pdf else None
    write_json(result, folder / "results.json")
    write_junit(result, folder / "junit.xml")
    write_html(result, folder / "report.html", previews=previews)
    if finish_pdf is not None:
        try:
            report.pdf, report.pdf_source = finish_pdf()
        except PdfUnavailable as exc:
            report.pdf_problem = str(exc)
    return report


def inputs_digests(spec_text: str | None, catalogue_text: str, config: Path | None) -> dict[str, str | None]:
    def digest(text: str | None) -> str | None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None

    return {"spec": digest(spec_text), "catalogue": digest(catalogue_text),
            "config": hashlib.sha256(config.read_bytes()).hexdigest() if config and config.is_file() else None}


ExchangeSource = Iterable[Exchange] | Callable[[], Iterable[Exchange]]


def write_run(result: RunResult, folder: Path, exchanges: ExchangeSource, *, redactor: Redactor,
              pseudonymise: bool = True, pdf: bool = True, sign_key: Path | None = None,
              inputs: dict[str, str | None] | None = None, carry_from: Path | None = None,
              links: dict[str, str] | None = None, personal_keys: dict[str, str] | None = None,
              pdf_worker: PdfWorker | None = None) -> WriteReport:
    """Write the whole folder. ``exchanges`` is read twice (to learn personal values, then to write): pass a
    list, or a callable that returns a fresh iterator each time (``evidence.iter_exchanges``, read from disk).
    ``pdf_worker``: the PDF worker the run started (:mod:`conformance.report.pdfworker`), if any."""
    folder.mkdir(parents=True, exist_ok=True)
    result.environment = {**result.environment, "inputs": inputs or {}}
    map_texts(result, redactor.text)  # last value-layer pass, with every secret registered during the run
    if carry_from is not None:  # evidence of results carried over from an earlier run
        import shutil

        for c in result.checks:
            if c.run_id and c.evidence and (carry_from / c.evidence).is_file():
                name = f"{EVIDENCE_DIR}/{c.run_id}-{Path(c.evidence).name}"
                (folder / EVIDENCE_DIR).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(carry_from / c.evidence, folder / name)
                c.evidence = name
    from conformance.privacy import KEY_KINDS

    pseudo = Pseudonymiser(enabled=True, key_kinds={**KEY_KINDS, **(personal_keys or {})})
    each = exchanges if callable(exchanges) else _replayable(exchanges)
    for e in each():
        pseudo.learn_body(e.response_body, e.response_headers.get("content-type", ""), whole=not e.response_cut)
        pseudo.learn_body(e.request_body, e.request_headers.get("content-type", ""))
    # Evidence keeps real values only with --no-pseudonymise (internal use); nothing else ever does.
    evidence_pseudo = pseudo if pseudonymise else Pseudonymiser(enabled=False)

    def redacted() -> Iterable[Exchange]:
        for e in each():
            redactor.reapply(e)
            yield e

    previews = write_evidence(folder, redacted(), result, evidence_pseudo, links)
    shown = pseudonymised(result, pseudo)
    shown.environment = {**shown.environment, "pseudonymised_evidence": pseudonymise}
    report = write_renderings(shown, folder, pdf=pdf, pseudo=pseudo, previews=previews, pdf_worker=pdf_worker)
    result.checks = shown.checks  # keep the evidence links for the caller
    write_manifest(folder, result.run_id, inputs or {}, sign_key)
    rendered = {"report.pdf": report.pdf_source} if report.pdf_source is not None else None
    report.leaks = leak_scan(folder, redactor.labelled(), pseudo.raw_values, skip_evidence_personal=not pseudonymise,
                             rendered=rendered)
    return report


def _replayable(exchanges: Iterable[Exchange]) -> Callable[[], Iterable[Exchange]]:
    items = exchanges if isinstance(exchanges, list) else list(exchanges)
    return lambda: items


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        try:
            from pypdf import PdfReader

            return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages) + path.read_bytes().decode(
                "latin-1")
        except ImportError:
            return path.read_bytes().decode("latin-1")
    return path.read_bytes().decode("utf-8", "replace")


SCAN_CHUNK = 1 << 20


def _chunks_of(path: Path, overlap: int, source: str | None = None) -> Iterator[str]:
    """The file's text in pieces of about a megabyte; each piece starts with the end of the one before (at least
    ``overlap`` characters, and never in the middle of a digit run), so nothing is missed at a boundary. A PDF
    rendered in this process is scanned as its ``source`` (every text it holds) plus its bytes, not re-parsed."""
    if path.suffix == ".pdf":
        if source is not None:
            yield source + "\n" + path.read_bytes().decode("latin-1")
        else:
            yield _text_of(path)  # the PDF's text must be extracted as a whole
        return
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    carry = ""
    with path.open("rb") as f:
        while True:
            raw = f.read(SCAN_CHUNK)
            text = carry + decoder.decode(raw, final=not raw)
            if not raw:
                if text:
                    yield text
                return
            yield text
            cut = max(0, len(text) - overlap)
            while cut > 0 and text[cut - 1].isdigit():
                cut -= 1
            carry = text[cut:]


def leak_scan(folder: Path, secrets: Mapping[str, str] | Iterable[str], personal: Iterable[str],
              skip_evidence_personal: bool = False, rendered: Mapping[str, str] | None = None) -> list[str]:
    """Files (with what kind was found, never the value) that contain a secret, a JWT-shaped fragment or a
    personal value. Linear in the output and bounded in memory: each file is read in pieces; per piece one pass per
    registered secret (few, and not growing with the data), one regex pass for JWT shapes, and one pass over its
    digit runs for all personal values at once."""
    labels = dict(secrets) if isinstance(secrets, Mapping) else dict.fromkeys(secrets, "secret")
    labels = {s: label for s, label in labels.items() if len(s) >= 8}
    personal_set = {p for p in personal if len(p) >= 9}
    overlap = max((len(s) for s in labels), default=0) + 64
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        check_personal = bool(personal_set) and not (rel.startswith(f"{EVIDENCE_DIR}/") and skip_evidence_personal)
        kinds: set[str] = set()
        jwt_shaped = personal_hit = False
        for text in _chunks_of(path, overlap, (rendered or {}).get(rel)):
            kinds |= {label for s, label in labels.items() if s in text}
            jwt_shaped = jwt_shaped or JWT_FRAGMENT.search(text) is not None
            personal_hit = personal_hit or (check_personal and not digit_runs(text).isdisjoint(personal_set))
        if kinds:
            found.append(f"{rel}: a registered secret ({', '.join(sorted(kinds))})")
        if jwt_shaped:
            found.append(f"{rel}: a JWT-shaped value (token or part of one)")
        if personal_hit:
            found.append(f"{rel}: a personal number (fødselsnummer, kontonummer or KID)")
    return found
