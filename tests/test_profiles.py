"""API profiles as the user meets them: the listing, --param, several APIs in one run and one report, XML bodies
redacted and pseudonymised like JSON ones, and English reports of a second API's run and client check."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest
from lxml import etree

from conformance.assumptions import load_register
from conformance.catalogue import load_catalogue, load_client_catalogue
from conformance.evidence import Redactor
from conformance.privacy import Pseudonymiser
from conformance.profiles import get, profiles
from conformance.profiles.trukketkildeskattpaaloenn import NAMESPACE as NS
from conftest import run_cli

TKS = "trukketkildeskattpaaloenn"
PERSON = "07088730296"  # the person of the published example: the mock's default lookup


# -- sbs-conformance profiles -----------------------------------------------------------------------------------
def test_profiles_lists_every_installed_api_with_its_scope_and_requirement_count():
    code, _, output = run_cli("profiles")
    assert code == 0, output
    for p in profiles():
        assert p.name in output and p.scope in output
        assert f"{len(load_catalogue(p.name).requirements)} requirements ({p.requirement_prefix}-*)" in output
    code, _, output = run_cli("profiles", "--json")
    listed = {row["name"]: row for row in json.loads(output)}
    assert listed[TKS]["params"] == [p.name for p in get(TKS).params]
    assert listed["trekkpaalegg"]["default"] is True and listed[TKS]["default"] is False


def test_profiles_show_names_params_base_urls_assumptions_and_requirements():
    profile = get(TKS)
    code, _, output = run_cli("profiles", "show", TKS)
    assert code == 0, output
    for param in profile.params:
        assert re.search(rf"^\s+{param.name}\s+{re.escape(param.help('en'))}", output, re.M), param.name
    for url in profile.base_urls.values():
        assert url in output
    for assumption in load_register(TKS).assumptions:
        assert assumption.id in output
    for req in load_catalogue(TKS).requirements + load_client_catalogue(TKS).requirements:
        assert re.search(rf"^\s+{req.id}\s", output, re.M), req.id
    assert "tks-no-data-200" in output and "breaks TKS-NODATA-01" in output
    code, _, nb = run_cli("profiles", "show", TKS, "--lang", "nb")
    assert profile.params[1].help("nb") in nb
    shown = json.loads(run_cli("profiles", "show", "trekkpaalegg", "--json")[2])
    assert {a["id"] for a in shown["assumptions"]} == {a.id for a in load_register("trekkpaalegg").assumptions}


def test_profiles_show_an_unknown_name_is_a_usage_error():
    code, _, output = run_cli("profiles", "show", "nope")
    assert code == 2 and "unknown API 'nope'" in output and TKS in output
    code, _, output = run_cli("profiles", "show")
    assert code == 2 and "needs a profile name" in output


# -- the registry ---------------------------------------------------------------------------------------------
def test_looking_up_a_profile_and_its_reference_client_loads_no_mock():
    """A reference client is a process of its own per poll: it must not pay for the mock (Starlette, uvicorn, the
    profiles' fault tables) that it talks to over HTTP."""
    probe = ("import sys, importlib\n"
             "from conformance.profiles import profiles\n"
             "for p in profiles():\n"
             "    if p.client_catalogue: importlib.import_module(p.package + '.reference')\n"
             "print(sorted(m for m in sys.modules if m.startswith(('conformance.mock', 'starlette', 'uvicorn'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_two_profiles_defining_the_same_switch_are_refused_when_switches_are_looked_up(monkeypatch):
    from conformance import profiles as registry
    from conformance.mock import faults, variants

    caches = (registry.switch_owners, faults.known_faults, variants.known_variants)
    bundled = registry.profiles()
    twin = dataclasses.replace(get("trekkpaalegg"), name="tvilling", requirement_prefix="TW", client_prefix="TWS")
    for cached in caches:
        cached.cache_clear()
    monkeypatch.setattr(registry, "profiles", lambda: [*bundled, twin])
    try:
        for known in (faults.known_faults, variants.known_variants):
            with pytest.raises(ValueError, match="is defined by both trekkpaalegg and tvilling"):
                known()
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()
    owners = registry.switch_owners()  # the bundled profiles' switches: each name has one owner
    assert set(get("trekkpaalegg").faults) <= set(owners) and owners[next(iter(get("trekkpaalegg").faults))] == \
        "trekkpaalegg"


# -- --param --------------------------------------------------------------------------------------------------
def test_an_unknown_param_is_refused_before_any_check_naming_the_expected_ones(tmp_path):
    code, _results, output = run_cli("run", "--api", TKS, "--param", "persnr=1", "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert "unknown --param persnr" in output and "personidentifikator" in output and "inntektsaar" in output
    assert not (tmp_path / "o" / "results.json").exists()


def test_a_real_target_needs_the_required_params(tmp_path):
    key = tmp_path / "key.pem"
    from conformance.maskinporten.certs import new_rsa_key, private_key_pem

    key.write_bytes(private_key_pem(new_rsa_key()))
    code, _, output = run_cli("run", "--api", TKS, "--target", "test", "--client-id", "c", "--key", str(key),
                              "--kid", "k", "--org", "310702641", "--param", "inntektsaar=2021",
                              "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert "needs --param personidentifikator, person_uten_data for a real target" in output
    assert f"profiles show {TKS}" in output


# -- several APIs in one run ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_all(tmp_path_factory):
    out = tmp_path_factory.mktemp("all") / "out"
    code, results, output = run_cli("run", "--api", "all", "--no-pdf", "--out", str(out))
    return code, results, output, out


def test_api_all_judges_every_profile_and_lists_each_base_url(run_all):
    code, results, output, _out = run_all
    assert code == 0, output
    assert results["profile"] == "all" and results["profiles"] == [p.name for p in profiles()]
    ids = {r["id"] for r in results["requirements"]}
    for p in profiles():
        assert set(load_catalogue(p.name).ids) <= ids
        own = [r for r in results["requirements"] if r["id"].startswith(p.requirement_prefix + "-")]
        assert own and all(r["api"] == p.name for r in own)
        assert re.search(rf"^\s+{p.name}: http://127\.0\.0\.1:\d+", output, re.M), p.name
        assert p.name in results["specs"]


def test_the_report_of_several_apis_has_a_section_per_api(run_all):
    _, _results, _, out = run_all
    html = (out / "report.html").read_text(encoding="utf-8")
    for p in profiles():
        assert f'id="requirements-{p.name}">{p.title("nb")}' in html
        assert f'id="checks-{p.name}">{p.title("nb")}' in html
    # each API's requirements sit under its own heading: the TKS table comes after the TKS heading only
    tp_head, tks_head = html.index('id="requirements-trekkpaalegg"'), html.index(f'id="requirements-{TKS}"')
    assert tp_head < html.index(">TP-LIST-01<") < tks_head < html.index(">TKS-GET-01<")


# -- XML bodies: secrets and personal data ----------------------------------------------------------------------
def test_xml_bodies_are_redacted_and_pseudonymised_like_json():
    secret = "opaque-secret-value-0123456789"
    body = (f'<?xml version="1.0"?><t:trukketKildeskattPaaLoenn xmlns:t="{NS}">'
            f"<t:personidentifikator>{PERSON}</t:personidentifikator>"
            f"<t:access_token>abc-not-registered-token</t:access_token>"
            f"<t:notat>ring {PERSON} om {secret}</t:notat></t:trukketKildeskattPaaLoenn>")
    redactor = Redactor()
    redactor.register(secret, "access_token")
    redacted = redactor.body(body, "application/xml")
    assert secret not in redacted and "abc-not-registered-token" not in redacted
    pseudonymiser = Pseudonymiser(key_kinds=get(TKS).personal_keys or None)
    pseudonymiser.learn_body(redacted, "application/xml")
    out = pseudonymiser.body(redacted, "application/xml")
    assert PERSON not in out
    root = etree.fromstring(out.encode())  # still well-formed, namespace kept
    assert root.tag == f"{{{NS}}}trukketKildeskattPaaLoenn"
    value = root.findtext(f"{{{NS}}}personidentifikator")
    assert value.startswith("fnr-") and value in root.findtext(f"{{{NS}}}notat")  # one pseudonym per value


def test_a_run_over_xml_keeps_no_person_in_any_output(tmp_path):
    out = tmp_path / "o"
    code, _results, output = run_cli("run", "--api", TKS, "--no-pdf", "--out", str(out))
    assert code == 0, output
    xml_entries = []
    for path in (out / "evidence").glob("*.json"):
        for entry in json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]:
            if "xml" in entry["response"]["content"].get("mimeType", "") and entry["response"]["status"] == 200:
                xml_entries.append(entry["response"]["content"]["text"])
    assert xml_entries, "no XML answer in the evidence"
    assert any(re.search(r"<(\w+:)?personidentifikator>fnr-[0-9a-f]{10}<", t) for t in xml_entries)
    for path in out.rglob("*"):
        if path.is_file():
            assert PERSON not in path.read_text(encoding="utf-8", errors="replace"), path


# -- report --lang en of the second API -------------------------------------------------------------------------
def test_report_lang_en_of_a_tks_run_uses_the_tks_catalogue(tmp_path):
    out = tmp_path / "o"
    code, _, output = run_cli("run", "--api", TKS, "--no-pdf", "--out", str(out))
    assert code == 0, output
    code, _, output = run_cli("report", str(out), "--lang", "en", "--no-pdf")
    assert code == 0, output
    html = (out / "report.html").read_text(encoding="utf-8")
    catalogue = load_catalogue(TKS)
    for req in catalogue.requirements:
        assert req.title("en").split(" (")[0][:40] in html.replace("&#39;", "'"), req.id
    assert catalogue.get("TKS-GET-01").title("nb")[:30] not in html


def test_report_lang_en_of_a_tks_client_check_uses_its_client_catalogue(tmp_path):
    out = tmp_path / "cc"
    code, results, output = run_cli("client-check", "--api", TKS, "--scenario", "tks-fetch", "--no-pdf",
                                    "--out", str(out), "--", sys.executable, "-m", "conformance.clientcheck.reference")
    assert code == 5, output  # one scenario: the requirements judged only by the others are not run
    assert results["profiles"] == [TKS] and results["verdict"] == "incomplete"
    code, _, output = run_cli("report", str(out), "--lang", "en", "--no-pdf")
    assert code == 0, output
    html = (out / "report.html").read_text(encoding="utf-8")
    for req in load_client_catalogue(TKS).requirements:
        assert req.id in html
    get_01 = load_client_catalogue(TKS).get("TKS-SBS-GET-01")
    assert get_01.title("en")[:40] in html and get_01.title("nb")[:40] not in html
    assert "no selected scenario judges this requirement" in html and "ikke noe valgt scenario" not in html
