"""Everything that can be validated is validated before the first check: one line of cause, a hint, exit 2, and
no half-written report folder."""

from __future__ import annotations

import pytest
from servers import key_file

from conftest import run_cli

SPEC_OF_ANOTHER_API = "openapi: 3.1.0\ninfo: {title: Annet API, version: '1'}\npaths:\n  /v1/noe:\n    get: {}\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "notakey.pem").write_text("not a key\n")
    (tmp_path / "garbage.yaml").write_text("garbage: [\n")
    (tmp_path / "other-api.yaml").write_text(SPEC_OF_ANOTHER_API)
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)))
    (tmp_path / "waivers.yaml").write_text("waivers:\n  - id: TP-AUTH-03\n    reason: x\n")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.txt").write_text("x")
    return tmp_path


@pytest.mark.parametrize("args, cause", [
    (["--out", "a-file/run"], "cannot write to --out"),  # under a file: unwritable, even for root
    (["--out", "full"], "--out full is not empty"),
    (["--sign-key", "notakey.pem"], "notakey.pem is not a readable PEM private key"),
    (["--waivers", "waivers.yaml"], "waiver 1 in waivers.yaml lacks expires, approved_by"),
    (["--spec", "garbage.yaml"], "cannot parse OpenAPI document garbage.yaml"),
    (["--spec", "binary.yaml"], "is not a text file"),
    (["--spec", "other-api.yaml"], "lacks GET /api/trekkpaalegg/v1"),
    (["--key", "notakey.pem"], "--key would do nothing with the embedded mock"),
    (["--kid", "k"], "--kid would do nothing with the embedded mock"),
    (["--client-id", "c"], "--client-id would do nothing with the embedded mock"),
    (["--org", "311851381"], "is not an organisation of the embedded mock"),
    (["--target", "test", "--client-id", "c", "--key", "notakey.pem", "--kid", "k", "--org", "310702641"],
     "notakey.pem is not a readable PEM private key"),
    (["--target", "test", "--client-id", "c", "--key", "KEY", "--kid", "k", "--org", "310702641", "--mock-size",
      "5"], "--mock-size work only with the embedded mock"),
    (["--max-body", "lots"], "max_body must be a size"),
    (["--deadline", "-1"], "must be positive"),
])
def test_bad_input_is_refused_before_any_check(files, args, cause):
    args = [str(key_file(files)) if a == "KEY" else a for a in args]
    code, _, output = run_cli("run", *args, "--no-pdf", cwd=files)
    assert code == 2, output
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert lines[0].startswith("sbs-conformance: error: ") and cause in lines[0], output
    assert lines[1].startswith("sbs-conformance: hint: ") and len(lines) == 2, output  # nothing ran
    assert "[ 1/" not in output and "Traceback" not in output
    assert not (files / "reports").exists()  # no folder left behind


def test_a_valid_official_style_spec_of_the_same_api_is_accepted(tmp_path):
    """--spec with operations named differently ({trekkId}) and a 3.0 JSON file passes the check."""
    import json

    import yaml

    from conformance.profiles import get

    document = yaml.safe_load(get("trekkpaalegg").spec_text)
    document["openapi"] = "3.0.3"
    document["paths"]["/api/trekkpaalegg/v1/{trekkId}/{versjon}"] = document["paths"].pop(
        "/api/trekkpaalegg/v1/{trekkid}/{trekkversjon}")
    (tmp_path / "official.json").write_text(json.dumps(document))
    code, results, output = run_cli("run", "--spec", str(tmp_path / "official.json"), "--no-pdf", "--out",
                                    str(tmp_path / "o"), "--", "-k", "auth")
    assert code == 5, output  # a selection: incomplete, but it ran
    assert results["spec"]["openapi"] == "3.0.3"
