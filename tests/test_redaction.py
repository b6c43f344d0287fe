"""Nothing secret or personal reaches any output: planted token, private key, fødselsnummer, kontonummer."""

from __future__ import annotations

import pytest
from reportkit import FNR, KID, KONTO, recorded_evidence, result_for

from conformance.maskinporten.certs import new_rsa_key, private_key_pem
from conformance.outputs import leak_scan, write_run

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6InNrYXR0ZWV0YXRlbjp0cmVra3BhYWxlZ2cifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
PEM = private_key_pem(new_rsa_key()).decode()
PLAIN_SECRET = "opaque-access-token-0123456789"  # not JWT-shaped: only the value layer can catch it


def planted_run(tmp_path, pseudonymise=True):
    evidence = recorded_evidence(planted={"notat": f"echo {TOKEN} {PEM} {PLAIN_SECRET} person {FNR} konto {KONTO}",
                                          "header": PLAIN_SECRET, "url": PLAIN_SECRET, "token": PLAIN_SECRET})
    for secret, label in ((TOKEN, "access_token"), (PEM, "private-key"), (PLAIN_SECRET, "access_token")):
        evidence.redactor.register(secret, label)
    result = result_for(evidence, message=f"skyldner {FNR} had konto {KONTO}")
    report = write_run(result, tmp_path, evidence.exchanges, redactor=evidence.redactor,
                       pseudonymise=pseudonymise, pdf=bool(__import__("importlib").util.find_spec("weasyprint")))
    return report


def _all_text(folder):
    from conformance.outputs import _text_of

    return {p.relative_to(folder).as_posix(): _text_of(p) for p in folder.rglob("*") if p.is_file()}


def test_planted_secrets_and_personal_data_reach_no_output(tmp_path):
    report = planted_run(tmp_path)
    assert report.leaks == []
    files = _all_text(tmp_path)
    assert {"results.json", "junit.xml", "report.html", "manifest.json"} <= set(files)
    assert any(f.startswith("evidence/") for f in files)
    pem_line = PEM.splitlines()[5]
    for name, text in files.items():
        for value in (TOKEN, PLAIN_SECRET, pem_line, FNR, KONTO, KID):
            assert value not in text, f"{value[:12]}... found in {name}"
    evidence_text = "".join(t for n, t in files.items() if n.startswith("evidence/"))
    assert "fnr-" in evidence_text and "konto-" in evidence_text and "kid-" in evidence_text
    assert "[REDACTED" in evidence_text


def test_pseudonyms_are_stable_across_calls(tmp_path):
    planted_run(tmp_path)
    import json
    import re

    entries = [e for p in (tmp_path / "evidence").glob("*.json") for e in json.loads(p.read_text())["log"]["entries"]]
    pseudonyms = {re.search(r'"skyldner": "(fnr-[0-9a-f]+)"', e["response"]["content"]["text"]).group(1)
                  for e in entries}
    assert len(entries) == 3 and len(pseudonyms) == 1


def test_no_pseudonymise_keeps_values_in_evidence_only(tmp_path):
    report = planted_run(tmp_path, pseudonymise=False)
    assert report.leaks == []
    files = _all_text(tmp_path)
    assert any(FNR in t for n, t in files.items() if n.startswith("evidence/"))
    for name, text in files.items():
        if not name.startswith("evidence/"):
            assert FNR not in text and KONTO not in text, name
        assert PLAIN_SECRET not in text and TOKEN not in text  # secrets never, in any mode


@pytest.mark.parametrize("planted, label", [(PLAIN_SECRET, "secret"), (FNR, "personal")])
def test_leak_scan_finds_a_planted_value(tmp_path, planted, label):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "report.html").write_text(f"<p>{planted}</p>")
    found = leak_scan(tmp_path, {PLAIN_SECRET: "access_token"}, [FNR])
    assert found and found[0].startswith("report.html") and label in found[0] and planted not in found[0]
    if label == "secret":
        assert "(access_token)" in found[0]


def test_a_leak_overrides_the_verdict_with_exit_4(capsys, tmp_path):
    from conformance.cli import final_code
    from conformance.outputs import WriteReport

    result = result_for(recorded_evidence(), statuses={"test_list.py::test_list_is_json_array": "passed"},
                        complete=True)
    assert final_code(result, WriteReport(tmp_path)) == 0
    assert final_code(result, WriteReport(tmp_path, leaks=["report.html: a registered secret (x)"])) == 4
    assert "LEAK: report.html" in capsys.readouterr().err


def test_secrets_in_steps_and_warnings_are_redacted(tmp_path):
    evidence = recorded_evidence()
    evidence.redactor.register(PLAIN_SECRET, "access_token")
    result = result_for(evidence)
    result.checks[0].steps = [f"used {PLAIN_SECRET}"]
    result.checks[0].warnings = [f"saw {PLAIN_SECRET}"]
    report = write_run(result, tmp_path, evidence.exchanges, redactor=evidence.redactor, pdf=False)
    assert report.leaks == [] and PLAIN_SECRET not in (tmp_path / "results.json").read_text()


def test_a_jwt_cut_in_half_is_redacted_and_caught_by_the_leak_scan(tmp_path):
    """A truncated token answer: the JSON does not parse, the registered token does not match whole, yet no piece
    of the token may reach an output; and a piece that did would be found."""
    import httpx

    from conformance.evidence import Evidence
    from conformance.http import send

    cut = '{"access_token": "' + TOKEN[:40]  # the answer ends in the middle of the payload
    evidence = Evidence()
    evidence.redactor.register(TOKEN, "access_token")
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, text=cut)))
    with evidence.check("t::c"):
        send(client, client.build_request("POST", "https://mp.example/token"), evidence, kind="token")
    [exchange] = evidence.exchanges
    assert TOKEN[:20] not in exchange.response_body and "[REDACTED:jwt]" in exchange.response_body
    header_only = TOKEN.split(".")[0]
    assert "eyJ" not in evidence.redactor.text(f"x {header_only} y")
    (tmp_path / "report.html").write_text(f"<p>{header_only}</p>")
    found = leak_scan(tmp_path, {}, [])
    assert found == ["report.html: a JWT-shaped value (token or part of one)"]


def test_an_id_that_contains_a_valid_looking_number_is_not_pseudonymised(tmp_path):
    """A korrelasjonsid (UUID) with an 11-digit run that passes the kontonummer check: it is an id, not a
    personal number; it must stay as it is (support needs it) and must not be reported as a leak."""
    from conformance.privacy import Pseudonymiser

    pseudo = Pseudonymiser()
    uuid_like = "0f9c1095-3663-49f3-a433-57431756457f"
    assert pseudo.text(f"korrelasjonsid {uuid_like}") == f"korrelasjonsid {uuid_like}"
    assert pseudo.raw_values == []  # nothing was learned from the id
    (tmp_path / "results.json").write_text(f'{{"korrelasjonsid": "{uuid_like}"}}')
    assert leak_scan(tmp_path, {}, pseudo.raw_values) == []
    assert Pseudonymiser().text("konto 57431756457.").startswith("konto konto-")  # standalone, it is one


def test_the_leak_scan_finds_values_across_its_chunk_boundaries(tmp_path, monkeypatch):
    import conformance.outputs as outputs

    monkeypatch.setattr(outputs, "SCAN_CHUNK", 64)
    for offset in range(0, 70, 7):  # the value at every position around the first boundary
        (tmp_path / "evidence.txt").write_text("x" * offset + f" {FNR} " + "y" * 200 + f" {PLAIN_SECRET} ")
        found = leak_scan(tmp_path, {PLAIN_SECRET: "access_token"}, [FNR])
        assert len(found) == 2, (offset, found)


def test_pseudonyms_replace_whole_numbers_only_as_the_regex_did():
    """The digit-run lookup gives what one look-behind regex per value gave, on random texts."""
    import random
    import re

    from conformance.privacy import Pseudonymiser

    pseudo = Pseudonymiser(salt=b"s" * 16)
    values = ["12345678901", "70213997155", "6487719756", "123456"]
    pseudo.learn([{"kidnummer": v} for v in values])
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(["a", " ", "1", "-", *values]) for _ in range(12))
        expected = text
        for raw in sorted(values, key=len, reverse=True):
            expected = re.sub(rf"(?<![0-9]){re.escape(raw)}(?![0-9])", pseudo.pseudonym("kid", raw), expected)
        assert pseudo.text(text) == expected, text


def test_a_pdf_rendered_here_is_scanned_as_the_text_it_was_rendered_from(tmp_path):
    """No pypdf re-parse of the PDF just written: its source HTML holds every text it shows; its bytes are scanned
    too (metadata), so a planted value in either is found."""
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7 compressed streams only")
    assert leak_scan(tmp_path, {PLAIN_SECRET: "access_token"}, [FNR],
                     rendered={"report.pdf": f"<p>skyldner {FNR}</p>"}) == [
        "report.pdf: a personal number (fødselsnummer, kontonummer or KID)"]
    (tmp_path / "report.pdf").write_bytes(f"%PDF-1.7 /Title ({PLAIN_SECRET})".encode())
    assert leak_scan(tmp_path, {PLAIN_SECRET: "access_token"}, [], rendered={"report.pdf": "<p>clean</p>"}) == [
        "report.pdf: a registered secret (access_token)"]


def test_a_pseudonym_is_the_salted_hmac_of_kind_and_value_however_often_it_is_asked(monkeypatch):
    import hashlib
    import hmac

    import conformance.privacy
    from conformance.privacy import Pseudonymiser

    salt = b"s" * 16
    pseudo = Pseudonymiser(salt=salt)

    def hmac_of(kind: str, value: str) -> str:
        return f"{kind}-{hmac.new(salt, f'{kind}:{value}'.encode(), hashlib.sha256).hexdigest()[:10]}"

    asked = [("fnr", "01019012345"), ("konto", "12345678903"), ("fnr", "01019012345"), ("kid", "01019012345")]
    assert [pseudo.pseudonym(k, v) for k, v in asked] == [hmac_of(k, v) for k, v in asked]
    monkeypatch.setattr(conformance.privacy, "PSEUDONYMS_KEPT", 2)  # the remembered ones are let go when full
    assert [pseudo.pseudonym(k, v) for k, v in asked * 2] == [hmac_of(k, v) for k, v in asked * 2]
    assert Pseudonymiser(salt=b"t" * 16).pseudonym("fnr", "01019012345") != hmac_of("fnr", "01019012345")


def _random_json(rng, depth: int = 0):
    """A JSON value with personal keys at every depth, lists of scalars under them, and every scalar type."""
    from reportkit import FNR, KID, KONTO

    scalars = [FNR, KONTO, KID, f"id {FNR}", f"x{FNR}", "12345", 7, 70213997155, 2.5, True, False, None, "", "aktiv"]
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(scalars)
    if rng.random() < 0.3:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["skyldner", "kontonummer", "kidnummer", "trekkid", "tekst", "liste", "personidentifikator"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _leaves(tree, key=""):
    """Every scalar with the key it is under, the walk the codec's keyed_leaves and rewrite must agree with."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaves(v, k)
    elif isinstance(tree, list):
        for v in tree:
            yield from _leaves(v, key)
    elif tree is not None and not isinstance(tree, bool):
        yield key, str(tree)


def test_the_json_walks_answer_what_a_walk_over_every_leaf_answers():
    """keyed_leaves is every leaf filtered by key, in order; rewrite told the personal keys gives what it gives when
    it asks ``keyed`` about every key: on random documents with personal values at every depth."""
    import json
    import random

    from conformance.codecs import JSON_CODEC
    from conformance.privacy import KEY_KINDS, Pseudonymiser

    rng = random.Random(11)
    for _ in range(400):
        tree = _random_json(rng)
        assert JSON_CODEC.keyed_leaves(tree, KEY_KINDS) == [kv for kv in _leaves(tree) if kv[0] in KEY_KINDS]
        told, asking = Pseudonymiser(salt=b"s" * 16), Pseudonymiser(salt=b"s" * 16)
        told.learn_body(json.dumps(tree), "application/json")
        asking.learn_pairs(_leaves(tree))
        assert JSON_CODEC.rewrite(tree, told.keyed, told.text, told.key_kinds) == \
            JSON_CODEC.rewrite(tree, asking.keyed, asking.text), tree
