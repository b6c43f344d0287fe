"""The report: structure of the model's renderings, size caps, PDF contents, re-rendering."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import pytest
from reportkit import recorded_evidence, result_for

from conformance.catalogue import load_catalogue
from conformance.outputs import write_run
from conformance.report.html import INLINE_EXCHANGES, render_html
from conftest import run_cli

NEED_PDF = os.environ.get("CI") == "true"  # CI installs WeasyPrint and Pango; elsewhere the PDF may be absent


class Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href"):
            if key in a:
                self.links.append(a[key])


def test_html_sections_in_the_required_order():
    html = render_html(result_for(recorded_evidence()))
    parser = Sections()
    parser.feed(html)
    assert parser.sections == ["cover", "summary", "requirements", "checks", "appendix"]
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert all(not link.startswith(("http:", "//")) or link.startswith("https://") for link in parser.links)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_cover_summary_matrix_and_appendix_contents():
    html = render_html(result_for(recorded_evidence()))
    for text in ("Lønn &amp; Personal AS", "LønnPro 7.2", "Kari Nordmann", "https://api-test.sits.no",
                 "alternativ 1", "run12345", "Resultat: Ikke bestått", "a" * 64, "Feil og mangler",
                 "expected 401 without token, got 200", "Slik retter du", "Godkjenning", "Signatur"):
        assert text in html, text
    rows = re.findall(r'<tr class="row-[a-z_]+"><td class="mono id">([A-Z0-9-]+)</td>', html)
    assert rows == load_catalogue().ids  # every requirement, not_run included
    assert html.index('id="problems"') < html.index("TP-AUTH-03</strong>") < html.index('id="requirements"')


def test_english_labels():
    html = render_html(result_for(recorded_evidence(), lang="en"), "en")
    assert "Errors and shortcomings" in html and "Verdict: Failed" in html and "How to fix" in html


def test_bodies_are_capped_and_linked(tmp_path):
    evidence = recorded_evidence(n_exchanges=60)
    result = result_for(evidence)
    write_run(result, tmp_path, evidence.exchanges, redactor=evidence.redactor, pdf=False)
    html = (tmp_path / "report.html").read_text()
    assert html.count("<details>") == 2 * INLINE_EXCHANGES  # two checks, capped each
    assert html.count('href="evidence/') >= 2
    har = json.loads((tmp_path / result.checks[0].evidence).read_text())
    assert har["log"]["version"] == "1.2" and len(har["log"]["entries"]) == 30


@pytest.mark.skipif(not NEED_PDF and not __import__("importlib").util.find_spec("weasyprint"),
                    reason="WeasyPrint not installed (the [pdf] extra)")
def test_pdf_pages_text_and_embedded_fonts(tmp_path):
    from pypdf import PdfReader

    evidence = recorded_evidence()
    report = write_run(result_for(evidence), tmp_path, evidence.exchanges, redactor=evidence.redactor)
    assert report.pdf is not None, report.pdf_problem
    reader = PdfReader(tmp_path / "report.pdf")
    pages = len(reader.pages)
    text = [p.extract_text() for p in reader.pages]
    assert pages >= 3
    assert f"Side 1 av {pages}" in text[0] and f"Side {pages} av {pages}" in text[-1]
    assert "Oppsummering av test" in text[0] and "Ikke bestått" in text[0]
    assert "Feil og mangler" in "".join(text) and "Signatur" in text[-1]
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor, "font not embedded"
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("DejaVu" in f for f in fonts)


def test_missing_weasyprint_still_writes_html_and_says_how(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    evidence = recorded_evidence()
    report = write_run(result_for(evidence), tmp_path, evidence.exchanges, redactor=evidence.redactor)
    assert report.pdf is None and "libpango" in report.pdf_problem and "sbs-conformance[pdf]" in report.pdf_problem
    assert (tmp_path / "report.html").exists() and not (tmp_path / "report.pdf").exists()


@pytest.mark.skipif(not NEED_PDF and not __import__("importlib").util.find_spec("weasyprint"),
                    reason="WeasyPrint not installed (the [pdf] extra)")
def test_the_pdf_worker_writes_the_same_pdf_as_the_run_itself(tmp_path):
    """The worker (started before the checks) and the in-process fallback render the same pages and text."""
    from pypdf import PdfReader

    from conformance.report.pdfworker import PdfWorker

    texts = []
    for name, worker in (("here", None), ("worker", PdfWorker.start())):
        evidence = recorded_evidence()
        folder = tmp_path / name
        report = write_run(result_for(evidence), folder, evidence.exchanges, redactor=evidence.redactor,
                           pdf_worker=worker)
        assert report.pdf == folder / "report.pdf", report.pdf_problem
        assert report.leaks == [] and report.pdf_source is not None
        texts.append([p.extract_text() for p in PdfReader(folder / "report.pdf").pages])
    # times, measured durations (a call of 0 or 1 ms), run ids and the pseudonyms (salted per run) differ between
    # the two runs
    strip = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:+.]+|\b\d+(?:\.\d+)? m?s\b|\b(?:fnr|konto|kid)-[0-9a-f]{10}\b"
                       r"|\b[0-9a-f]{8}\b")
    assert [strip.sub("", t) for t in texts[0]] == [strip.sub("", t) for t in texts[1]]


@pytest.mark.parametrize("script, says, hint", [
    # a worker without WeasyPrint answers why, and the note says how to install it
    ("import sys; sys.stdin.buffer.read(); print('{\"ok\": false, \"kind\": \"ImportError\", "
     "\"text\": \"No module named weasyprint\", \"missing\": true}')", "ImportError: No module named weasyprint",
     "sbs-conformance[pdf]"),
    # a worker that dies: its last words, and the command that renders the folder again
    ("import sys; sys.stdin.buffer.read(); sys.stderr.write('boom: out of memory'); sys.exit(3)",
     "exit 3: boom: out of memory", "sbs-conformance report <folder>"),
])
def test_a_failing_pdf_worker_leaves_the_other_files_and_a_note(tmp_path, script, says, hint):
    import subprocess
    import sys

    from conformance.report.pdfworker import PdfWorker

    worker = PdfWorker(subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    evidence = recorded_evidence()
    report = write_run(result_for(evidence), tmp_path, evidence.exchanges, redactor=evidence.redactor,
                       pdf_worker=worker)
    assert report.pdf is None and says in report.pdf_problem and hint in report.pdf_problem
    assert report.pdf_problem.startswith("PDF not written")
    for name in ("report.html", "results.json", "junit.xml", "manifest.json"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / "report.pdf").exists()


def test_report_command_rerenders_in_english_offline(tmp_path):
    out = tmp_path / "out"
    code, _, output = run_cli("run", "--mock-fault", "ignore-accept", "--strict-assumptions", "--no-pdf", "--out",
                              str(out))
    assert code == 1, output
    code, _, output = run_cli("report", str(out), "--lang", "en", "--no-pdf")
    assert code == 0, output
    html = (out / "report.html").read_text()
    assert "Errors and shortcomings" in html and "An unsupported Accept header gets 406" in html
    assert run_cli("verify", str(out))[0] == 0  # the manifest was rewritten
