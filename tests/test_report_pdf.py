"""The PDF Skatteetaten receives holds every check (section 3): status, message, steps, and for failed, warning and
error checks their exchanges with korrelasjonsid and bodies, with links that work inside the document. Judged on
the PDF's own text and link annotations."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from conftest import run_cli

pytestmark = pytest.mark.skipif(os.environ.get("CI") != "true" and not importlib.util.find_spec("weasyprint"),
                                reason="WeasyPrint not installed (the [pdf] extra)")


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "o"
    code, results, output = run_cli("run", "--mock-fault", "wrong-error-codes", "--out", str(out))
    assert code == 1, output
    return out, results


def _pdf(out):
    from pypdf import PdfReader

    reader = PdfReader(out / "report.pdf")
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_section_3_lists_every_check_with_status_and_message(failing_run):
    out, results = failing_run
    _, text = _pdf(out)
    section = text[text.index("4. Kontroller"):text.index("5. Vedlegg")]
    flat = re.sub(r"\s+", " ", section)
    for check in results["checks"]:
        assert re.sub(r"\s+", " ", check["name"]) in flat.replace(" ", " "), check["name"]
    assert flat.count("Bestått ") >= 30 and "Ikke bestått" in flat
    failed = next(c for c in results["checks"] if c["status"] == "failed")
    assert failed["message"][:60] in flat  # in Norwegian: the report's language
    assert "Steg:" in flat and "korrelasjonsid" in flat


def test_a_failed_check_shows_its_exchanges_with_korrelasjonsid_and_bodies(failing_run):
    out, results = failing_run
    _, text = _pdf(out)
    flat = re.sub(r"\s+", "", text)  # a long id may be broken over lines in the PDF
    failed = next(c for c in results["checks"] if c["status"] == "failed")
    ids = [x["korrelasjonsid"] for x in failed["exchanges"] if x["korrelasjonsid"]]
    assert ids and all(i.replace("-", "") in flat.replace("-", "") for i in ids[:3])
    assert '"kode":"KB-006"' in flat and "Forespørsel/Svar" in flat  # the bodies, not only the table


def test_links_from_errors_and_shortcomings_go_to_the_check_in_the_document(failing_run):
    out, results = failing_run
    reader, _ = _pdf(out)
    destinations = set(reader.named_destinations)
    internal = [a.get_object().get("/Dest") for page in reader.pages for a in page.get("/Annots") or []
                if a.get_object().get("/Dest")]
    position = next(i for i, c in enumerate(results["checks"], start=1) if c["status"] == "failed")
    assert f"check-{position}" in internal and f"check-{position}" in destinations
    assert all(d in destinations for d in internal)  # no link goes nowhere


def test_a_passed_check_counts_its_calls_and_names_the_evidence_files_that_hold_them(failing_run):
    """A passed check's calls are counted, not listed: its own calls point to its evidence file, the calls it
    judged but another check made (shared calls) to the file of the check that made them."""
    out, results = failing_run
    _, text = _pdf(out)
    flat = re.sub(r"\s+", "", text[text.index("4. Kontroller"):])
    made_by = {x["seq"]: c["evidence"] for c in results["checks"] if c["evidence"]
               for x in c["exchanges"] if not x.get("relied")}
    shared_only = [c for c in results["checks"] if c["status"] == "passed" and not c["evidence"] and c["exchanges"]]
    assert shared_only  # e.g. TP-DATA-02 judges the list TP-DATA-01 fetched
    for check in shared_only:
        entry = flat[flat.index(re.sub(r"\s+", "", check["name"])):]
        entry = entry[:entry.index("Utfall:") + 300]
        owners = {made_by[x["seq"]] for x in check["exchanges"]}
        n = len(check["exchanges"])
        assert f"·{n}{'deltkall' if n == 1 else 'deltekall'}·Bevis(deltekall):" in entry, entry
        assert all(re.sub(r"\s+", "", o) in entry for o in owners), (owners, entry)
    own = next(c for c in results["checks"] if c["status"] == "passed" and c["evidence"] and c["exchange_count"] > 1)
    entry = flat[flat.index(re.sub(r"\s+", "", own["name"])):]
    assert f"·{own['exchange_count']}kall·" in entry[:entry.index("Bevis:")]
    # "more in the evidence file" only where the PDF lists some of a check's calls, never for a count alone
    more = re.findall(r"(.{0,12})kallialt\(flerekallibevisfilen", flat)
    assert all(re.search(r"viser\d+/\d+$", before) for before in more), more
