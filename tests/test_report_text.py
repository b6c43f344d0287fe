"""The report's text: no double escaping, no Python values, every text in the report's language, page titles
for sources, whole words in the terminal's summary."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from conftest import run_cli

HAS_PDF = os.environ.get("CI") == "true" or importlib.util.find_spec("weasyprint") is not None


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    config = folder / "sbs.toml"
    config.write_text('[report]\nvendor = "Lønn & Personal AS"\nsystem = "LønnPro"\n'
                      'organisations = ["310702641", "313367002"]\n')
    code, results, output = run_cli("run", "--config", str(config), "--mock-fault", "ignore-accept",
                                    "--strict-assumptions",
                                    *([] if HAS_PDF else ["--no-pdf"]), "--out", str(folder / "o"))
    assert code == 1, output
    return folder / "o", results, output


def test_no_python_values_on_the_cover_or_in_the_appendix(vendor_run):
    out, _, _ = vendor_run
    html = (out / "report.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "310702641, 313367002" in text and "['" not in text and "{'" not in text and "None" not in text
    appendix = text[text.index("5. Vedlegg"):]
    assert "ignore-accept" in appendix and "vendor: Lønn &amp; Personal AS" in appendix


@pytest.mark.skipif(not HAS_PDF, reason="WeasyPrint not installed (the [pdf] extra)")
def test_the_pdf_running_header_has_the_vendor_once_escaped(vendor_run):
    from pypdf import PdfReader

    out, _, _ = vendor_run
    first = PdfReader(out / "report.pdf").pages[0].extract_text()
    assert "Lønn & Personal AS" in first and "&amp;" not in first


def test_check_messages_follow_the_report_language(vendor_run):
    out, results, _ = vendor_run
    failed = next(c for c in results["checks"] if c["status"] == "failed")
    assert failed["message"] == ("avviker fra forutsetningen A-TP-ACCEPT-406 (ikke fra dokumentasjonen): "
                                 "Accept: application/xml: forventet 406, fikk 200")  # strict: a failure, still named
    assert all("expected" not in c["message"] for c in results["checks"])
    code, _, output = run_cli("report", str(out), "--lang", "en", "--no-pdf")
    assert code == 0, output
    english = (out / "report.html").read_text()
    assert "differs from the assumption A-TP-ACCEPT-406 (not from the documentation): Accept: application/xml: " \
        "expected 406, got 200" in english and "forventet 406" not in english
    run_cli("report", str(out), "--lang", "nb", "--no-pdf")  # and back again, from the ids
    assert "Accept: application/xml: forventet 406" in (out / "report.html").read_text()


def test_sources_are_named_by_their_page_titles(vendor_run):
    out, results, _ = vendor_run
    html = (out / "report.html").read_text()
    assert ">Skatteetaten: Feil og feilkoder</a>" in html and ">feil</a>" not in html
    assert all(r["source_title"] for r in results["requirements"])


def test_a_client_check_cover_shows_no_none(tmp_path):
    import sys

    run_cli("client-check", "--scenario", "empty", "--no-pdf", "--out", str(tmp_path / "o"), "--",
            sys.executable, "-m", "conformance.clientcheck.reference")
    html = (tmp_path / "o" / "report.html").read_text()
    cover = html[:html.index('id="summary"')]
    assert "None" not in cover and "tokenendepunkt" in cover and "conformance.clientcheck.reference" in cover


def test_long_summary_lines_are_wrapped_at_words_not_cut(tmp_path):
    _, results, output = run_cli("run", "--mock-fault", "invalid-opprettet", "--no-pdf", "--out",
                                 str(tmp_path / "o"))
    message = next(c["message"] for c in results["checks"] if c["status"] == "failed")
    assert len(message) > 240  # the summary used to cut such a line at 240 characters, mid-word
    summary = output[output.index("Verdict:"):]
    block = summary[summary.index("  FAILED"):summary.index("Report:")]
    assert all(len(ln) <= 110 for ln in block.splitlines())
    assert " ".join(block.split()) == f"FAILED TP-LIST-02: {' '.join(message.split())}"
