"""The reconstructed OpenAPI document: valid, shipped in the package, accepts every published example."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from conformance.errors import ConfigError
from conformance.profiles import get, profiles
from conformance.profiles.trekkpaalegg.store import published_examples
from conformance.spec import load_spec
from conftest import EXAMPLES_FILE, ROOT


def all_examples():
    return [v for s in published_examples() for v in s["versions"]]


@pytest.mark.parametrize("api", [p.name for p in profiles()])
def test_bundled_document_is_valid_openapi_31(api):
    profile = get(api)
    document, _ = read_from_filename(str(profile.resource("openapi.yaml")))
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert "reconstructed" in document["info"]["description"].lower()
    assert f"skatteetaten.github.io/api-dokumentasjon/api/{api}" in document["info"]["description"]
    assert load_spec(profile=profile).text == profile.spec_text


def test_each_document_has_one_copy_only():
    """The profile's openapi.yaml is the only copy of its document in the repository."""
    texts = {p.spec_text for p in profiles()}
    copies = [f for f in ROOT.rglob("*.yaml") if ".git" not in f.parts and f.read_text(encoding="utf-8") in texts]
    assert sorted(c.name for c in copies) == ["openapi.yaml"] * len(texts)


def test_document_declares_both_operations_and_error_responses():
    paths = load_spec().document["paths"]
    assert set(paths) == {"/api/trekkpaalegg/v1", "/api/trekkpaalegg/v1/{trekkid}/{trekkversjon}"}
    for path in paths.values():
        assert {"400", "401", "403", "404", "406", "500"} <= set(path["get"]["responses"])


@pytest.mark.skipif(not EXAMPLES_FILE.exists(), reason="shared reference not beside the checkout")
def test_packaged_examples_equal_the_published_reference():
    assert json.loads(EXAMPLES_FILE.read_text()) == {"source": json.loads(EXAMPLES_FILE.read_text())["source"],
                                                     "scenarios": published_examples()}


@pytest.mark.parametrize("item", all_examples(), ids=lambda v: f"{v['trekkid']}-v{v['trekkversjon']}")
def test_every_published_example_is_valid(item):
    assert load_spec().errors(item, "Trekkpaalegg") == []


def _add_unknown_everywhere(value):
    if isinstance(value, dict):
        return {**{k: _add_unknown_everywhere(v) for k, v in value.items()}, "nyttFelt": {"x": 1}}
    if isinstance(value, list):
        return [_add_unknown_everywhere(v) for v in value]
    return value


def test_unknown_fields_at_every_level_are_tolerated_and_reported():
    spec = load_spec()
    item = _add_unknown_everywhere(all_examples()[5])
    assert spec.errors(item, "Trekkpaalegg") == []
    unknown = spec.unknown_fields(item, "Trekkpaalegg")
    assert "$.nyttFelt" in unknown
    assert "$.betalingsinformasjon.nyttFelt" in unknown
    assert "$.trekkstoerrelseForPeriode[0].trekkprosent.nyttFelt" in unknown or \
        "$.trekkstoerrelseForPeriode[0].trekkbeloep.nyttFelt" in unknown


@pytest.mark.parametrize("mutate, fragment", [
    (lambda i: i.pop("trekkid"), "'trekkid' is a required property"),
    (lambda i: i.update(trekkversjon="1"), "is not of type 'integer'"),
    (lambda i: i.update(trekkstatus="AKTIV"), "is not one of"),
    (lambda i: i.update(opprettet="09.08.2025"), "is not a 'date-time'"),
    (lambda i: i["trekkstoerrelseForPeriode"][0].update(trekkbeloep={"trekkbeloep": 1}), "valid under each of"),
    (lambda i: i["trekkstoerrelseForPeriode"][0].pop("trekkprosent"), "not valid under any of"),
])
def test_schema_rejects_broken_items(mutate, fragment):
    item = copy.deepcopy(all_examples()[0])
    mutate(item)
    errors = load_spec().errors(item, "Trekkpaalegg")
    assert any(fragment in e for e in errors), errors


def test_official_file_as_openapi_30_json_is_accepted(tmp_path):
    document = yaml.safe_load(load_spec().text)
    document["openapi"] = "3.0.3"
    document["components"]["schemas"]["Trekkpaalegg"]["properties"]["saksnummer"]["nullable"] = True
    path = tmp_path / "official.json"
    path.write_text(json.dumps(document))
    spec = load_spec(path)
    item = dict(all_examples()[0], saksnummer=None)
    assert spec.errors(item, "Trekkpaalegg") == []
    assert spec.identity()["openapi"] == "3.0.3" and len(spec.sha256) == 64


@pytest.mark.parametrize("content, message", [(None, "not found"), ("{not yaml: [", "cannot parse"),
                                              ("openapi: 2.0\n", "not an OpenAPI 3.0 or 3.1")])
def test_bad_spec_file_is_a_config_error(tmp_path, content, message):
    path = tmp_path / "spec.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_spec(path)


@pytest.mark.parametrize("api", ["trekkpaalegg", "kravogbetalinger", "utleggstrekk"])
def test_the_compiled_fast_path_gives_the_same_verdicts_and_messages(api):
    """With jsonschema-rs (valid payloads at compiled speed) or without it (the pure-Python fallback), the same
    problems for valid and invalid payloads."""
    import copy

    from conformance.profiles import get
    from conformance.spec import load_spec

    spec = load_spec(profile=get(api))
    fallback = load_spec(profile=get(api))
    schema = {"trekkpaalegg": "Trekkpaalegg", "kravogbetalinger": "Innbetaling", "utleggstrekk": "Hendelse"}[api]
    good = {"trekkpaalegg": all_examples()[0],
            "kravogbetalinger": {"innbetalingsdato": "2023-01-02", "innbetaltBeloep": 5.0},
            "utleggstrekk": {"sekvensnummer": 3, "identifikator": "01017012345"}}[api]
    pointer = spec.component(schema)
    assert spec.compiled(pointer) is not None  # the wheel is installed here
    fallback._compiled[pointer] = None  # as without the wheel
    cases = [good]
    for key in list(good)[:3]:
        broken = copy.deepcopy(good)
        broken[key] = {"not": "a scalar"}
        cases.append(broken)
        missing = copy.deepcopy(good)
        missing.pop(key)
        cases.append(missing)
    for case in cases:
        assert [p.text for p in spec.problems(case, schema)] == [p.text for p in fallback.problems(case, schema)]
    assert spec.problems(good, schema) == []


RESPONSES_DOC = {
    "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
    "paths": {"/a/{id}": {"get": {"responses": {
        "200": {"$ref": "#/components/responses/Ok"},
        "4XX": {"description": "client errors", "content": {"application/*": {"schema": {"type": "object"}}}},
    }}}, "/b": {"get": {"responses": {"default": {"description": "anything"}}}}},
    "components": {"responses": {"Ok": {"description": "ok", "content": {"application/json": {}},
                                        "headers": {"X-Antall": {"required": True, "schema": {"type": "integer",
                                                                                             "minimum": 0}},
                                                    "X-Valgfri": {"schema": {"type": "integer"}}}}}},
}


def _response(status, content_type="application/json", body=b"{}", **headers):
    import httpx

    return httpx.Response(status, headers={"content-type": content_type, **headers}, content=body)


@pytest.mark.parametrize("path, response, ids", [
    ("/a/{other}", _response(200, **{"X-Antall": "3"}), []),  # the document's parameter name differs: same operation
    ("/a/{id}", _response(200, "application/json; charset=utf-8", **{"X-Antall": "0", "X-Valgfri": "1"}), []),
    ("/a/{id}", _response(200), ["spec.resp.header_missing"]),
    ("/a/{id}", _response(200, **{"X-Antall": "-1"}), ["spec.resp.header_invalid"]),
    ("/a/{id}", _response(200, **{"X-Antall": "1", "X-Valgfri": "x"}), ["spec.resp.header_invalid"]),
    ("/a/{id}", _response(200, "text/plain", **{"X-Antall": "1"}), ["spec.resp.content_type"]),
    ("/a/{id}", _response(404, "application/problem+json"), []),  # 4XX range, application/* declared
    ("/a/{id}", _response(404, "text/html"), ["spec.resp.content_type"]),
    ("/a/{id}", _response(302), ["spec.resp.status"]),
    ("/a/{id}", _response(503), ["spec.resp.server_error", "spec.resp.status"]),
    ("/b", _response(500, "text/plain"), ["spec.resp.server_error"]),  # default documents it, without content
    ("/c", _response(200), ["spec.resp.no_operation"]),
])
def test_response_problems_follow_the_documented_responses(tmp_path, path, response, ids):
    """Status (code, range, default), declared media types (with wildcards), required and typed headers; a
    response that follows the document has no problem."""
    path_file = tmp_path / "doc.json"
    path_file.write_text(json.dumps(RESPONSES_DOC))
    spec = load_spec(path_file)
    found = spec.response_problems("GET", path, response)
    assert [m.id for m in found] == ids
    for message in found:  # every text in both languages, naming the operation
        assert "GET" in message.render("nb") and "GET" in message.render("en")
        assert message.render("nb") != message.render("en")


def _two_loads(openapi: str, tmp_path):
    """The bundled document as an OpenAPI ``openapi`` file, loaded twice (one to be run as without the wheel), and
    the pointer of its Trekkpaalegg schema."""
    document = yaml.safe_load(load_spec().text)
    if openapi == "3.0":
        document["openapi"] = "3.0.3"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    spec = load_spec(path)
    return spec, load_spec(path), spec.component("Trekkpaalegg")


@pytest.mark.parametrize("openapi", ["3.1", "3.0"])
def test_unknown_fields_are_the_same_with_the_closed_fast_path_and_without(openapi, tmp_path):
    """jsonschema-rs with every object closed answers "nothing unknown" for a conforming item; anything else is
    walked: the same paths with or without the wheel, for items with and without unknown fields."""
    spec, walk_only, pointer = _two_loads(openapi, tmp_path)
    assert spec._closed(pointer) is not None  # the wheel is installed here and the document can be closed
    assert all(spec._closed(pointer).is_valid(i) for i in all_examples())  # conforming items: answered fast
    walk_only._closed_cache[pointer] = None  # as without the wheel
    cases = [*all_examples()[:6], *(_add_unknown_everywhere(i) for i in all_examples()[:6])]
    broken = copy.deepcopy(all_examples()[0])
    broken["trekkversjon"] = "1"  # invalid, nothing unknown: walked, and still nothing unknown
    cases.append(broken)
    for case in cases:
        assert spec.unknown_fields(case, "Trekkpaalegg") == walk_only.unknown_fields(case, "Trekkpaalegg")
    assert spec.unknown_fields(all_examples()[0], "Trekkpaalegg") == []
    assert spec.unknown_fields(cases[6], "Trekkpaalegg")


@pytest.mark.parametrize("openapi", ["3.1", "3.0"])
def test_review_is_problems_and_unknown_fields_in_one(openapi, tmp_path):
    """review() answers what problems() and unknown_fields() answer, for good items (one closed-validator call),
    items with unknown fields, invalid items and both at once, with and without the wheel."""
    spec, walk_only, pointer = _two_loads(openapi, tmp_path)
    walk_only._closed_cache[pointer] = walk_only._compiled[pointer] = None  # as without the wheel
    broken = copy.deepcopy(all_examples()[0])
    broken["trekkversjon"] = "1"
    cases = [*all_examples()[:6], *(_add_unknown_everywhere(i) for i in all_examples()[:3]), broken,
             _add_unknown_everywhere(broken)]
    for case in cases:
        expected = (spec.problems(case, "Trekkpaalegg"), spec.unknown_fields(case, "Trekkpaalegg"))
        assert spec.review(case, "Trekkpaalegg") == expected
        assert walk_only.review(case, "Trekkpaalegg") == expected
    assert spec.review(all_examples()[0], "Trekkpaalegg") == ([], [])
    problems, unknown = spec.review(cases[-1], "Trekkpaalegg")
    assert [p.path for p in problems] == ["$.trekkversjon"] and unknown


def test_a_document_the_closed_fast_path_cannot_mirror_is_walked(tmp_path):
    """Pattern properties (the walk does not know them) keep the fast path off: same answer as the walk."""
    document = yaml.safe_load(load_spec().text)
    document["components"]["schemas"]["Trekkpaalegg"]["patternProperties"] = {"^x-": {}}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    spec = load_spec(path)
    assert spec._closed(spec.component("Trekkpaalegg")) is None
    item = {**all_examples()[0], "x-extra": 1}
    assert spec.unknown_fields(item, "Trekkpaalegg") == ["$.x-extra"]


def test_an_official_utleggstrekk_file_needs_the_assumed_lookup_shape_only(tmp_path):
    """A-UTT-LOOKUP-PATH: the lookup's parameter names may differ; a lookup at another path is refused before
    the first check (what the assumption's reason says)."""
    profile = get("utleggstrekk")
    document = yaml.safe_load(profile.spec_text)
    paths = document["paths"]
    paths["/{pakke}/{personidentifikator}"] = paths.pop("/{rettighetspakke}/{identifikator}")
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(yaml.safe_dump(document))
    load_spec(renamed, profile).require(list(profile.operations), list(profile.schemas), profile.title_en)
    paths["/{pakke}/utleggstrekk/{personidentifikator}"] = paths.pop("/{pakke}/{personidentifikator}")
    moved = tmp_path / "moved.yaml"
    moved.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"lacks GET /\{rettighetspakke\}/\{identifikator\}"):
        load_spec(moved, profile).require(list(profile.operations), list(profile.schemas), profile.title_en)
