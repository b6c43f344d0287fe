"""The OpenAPI document: the bundled, reconstructed one or the official file given with ``--spec``.

Both the mock's tests and the checks validate payloads against it (one contract, no copied rules).
OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0 schemas are validated with Draft 4 after turning
``nullable`` into a type union.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from conformance import yamlfile
from conformance.errors import ConfigError
from conformance.messages import Message

if TYPE_CHECKING:  # jsonschema and referencing are imported where a payload needs its reasons (see validator)
    import jsonschema
    from referencing import Registry

SPEC_MEDIA_TYPE = "application/yaml"
SPEC_URN = "urn:sbs-conformance:openapi"


def _nullable_to_union(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable_to_union(v) for k, v in node.items()}
        if node.pop("nullable", False) is True and "type" in node:
            node["type"] = [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_to_union(v) for v in node]
    return node


@dataclass(frozen=True)
class SchemaProblem:
    """One validation error: where, what keyword, the keyword's value (e.g. a format's name) and the value."""

    path: str
    message: str
    keyword: str
    expected: Any
    value: Any

    @property
    def text(self) -> str:
        return f"{self.path}: {self.message}"

    @property
    def field(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclass
class Spec:
    """A loaded OpenAPI document with its identity and payload validators."""

    document: dict[str, Any]
    text: str
    source: str
    _validators: dict[str, jsonschema.protocols.Validator] = field(default_factory=dict, repr=False)
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)  # pointer -> jsonschema_rs validator
    _closed_cache: dict[str, Any] = field(default_factory=dict, repr=False)  # pointer -> closed validator
    _known_cache: dict[int, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = field(default_factory=dict,
                                                                                      repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", ""))

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", ""))

    @property
    def openapi_version(self) -> str:
        return str(self.document.get("openapi", self.document.get("swagger", "")))

    def identity(self) -> dict[str, str]:
        return {"title": self.title, "version": self.version, "openapi": self.openapi_version,
                "sha256": self.sha256, "source": self.source}

    @cached_property
    def _contents(self) -> dict[str, Any]:
        """The document as its schemas are validated: 3.1 as it is, 3.0 with ``nullable`` turned into a type union."""
        return self.document if self.openapi_version.startswith("3.1") else _nullable_to_union(self.document)

    @cached_property
    def _registry(self) -> Registry:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4, DRAFT202012

        spec = DRAFT202012 if self.openapi_version.startswith("3.1") else DRAFT4
        return Registry().with_resource(SPEC_URN, Resource(contents=self._contents, specification=spec))

    def validator(self, pointer: str) -> jsonschema.protocols.Validator:
        """Validator for the schema at a JSON pointer into the document, e.g. ``/components/schemas/Feil``
        (pure Python: imported on first use, as most runs meet no invalid payload and have the compiled wheel)."""
        if pointer not in self._validators:
            import jsonschema

            cls = (jsonschema.Draft202012Validator if self.openapi_version.startswith("3.1")
                   else jsonschema.Draft4Validator)
            self._validators[pointer] = cls({"$ref": f"{SPEC_URN}#{pointer}"}, registry=self._registry,
                                            format_checker=cls.FORMAT_CHECKER)
        return self._validators[pointer]

    def compiled(self, pointer: str) -> Any:
        """A compiled validator (jsonschema-rs) for the schema at ``pointer``, or None where the wheel is missing
        or the schema does not compile: it answers "valid or not" at near the cost of parsing; the reasons of an
        invalid payload always come from :meth:`validator` (same messages with or without the wheel)."""
        if pointer not in self._compiled:
            self._compiled[pointer] = None
            try:
                import jsonschema_rs
            except ImportError:  # pure-Python fallback
                return None
            contents = self._contents
            cls = (jsonschema_rs.Draft202012Validator if self.openapi_version.startswith("3.1")
                   else jsonschema_rs.Draft4Validator)
            with contextlib.suppress(ValueError, TypeError, jsonschema_rs.ValidationError):
                self._compiled[pointer] = cls({**contents, "$ref": f"#{pointer}"}, validate_formats=True)
        return self._compiled[pointer]

    def component(self, name: str) -> str:
        """Pointer of a component schema; accepts the official file's names if they differ in case."""
        schemas = self.document.get("components", {}).get("schemas", {})
        if name not in schemas:
            matches = [k for k in schemas if k.lower() == name.lower()]
            if not matches:
                raise ConfigError(f"the OpenAPI document {self.source} has no schema {name!r}",
                                  "is --spec the document of the API you run (--api)?")
            name = matches[0]
        return f"/components/schemas/{name}"

    def require(self, operations: list[tuple[str, str]], schemas: list[str], what: str) -> None:
        """Refuse a document that lacks an operation or schema the checks use (e.g. the wrong API's file):
        a configuration error before the first check, not a run full of errors."""
        declared = {(m.upper(), _template(path)) for path, item in (self.document.get("paths") or {}).items()
                    if isinstance(item, dict) for m in item if m.lower() in ("get", "post", "put", "patch", "delete")}
        missing = [f"{m} {p}" for m, p in operations if (m.upper(), _template(p)) not in declared]
        for name in schemas:
            try:
                self.component(name)
            except ConfigError:
                missing.append(f"schema {name}")
        if missing:
            raise ConfigError(f"{self.source} lacks {', '.join(missing)}: it is not the {what} document",
                              f"give the {what} OpenAPI file with --spec, or leave --spec out to use the bundled one")

    def errors(self, instance: Any, schema_name: str) -> list[str]:
        """Readable validation errors (JSON path: message), empty when valid."""
        return [e.text for e in self.problems(instance, schema_name)]

    def problems(self, instance: Any, schema_name: str) -> list[SchemaProblem]:
        """Validation errors with what a caller needs to judge them (path, keyword, value), in path order."""
        return [SchemaProblem(e.json_path, e.message, str(e.validator), e.validator_value, e.instance)
                for e in self._errors(self.component(schema_name), instance)]

    def _errors(self, pointer: str, instance: Any) -> list[jsonschema.ValidationError]:
        """jsonschema's errors for the schema at ``pointer``, in path order; none at once where the compiled
        validator accepts the instance (so the messages are the same with or without the wheel)."""
        fast = self.compiled(pointer)
        if fast is not None and fast.is_valid(instance):
            return []
        return sorted(self.validator(pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))

    def properties(self, schema_name: str) -> list[str]:
        """The property names a component schema declares."""
        return list(self._declared(self._resolve(self.component(schema_name))))

    def unknown_fields(self, instance: Any, schema_name: str) -> list[str]:
        """JSON paths of properties the document does not declare (allowed, but worth a warning)."""
        pointer = self.component(schema_name)
        closed = self._closed(pointer)
        if closed is not None and closed.is_valid(instance):  # valid with every object closed: nothing unknown
            return []
        return self._unknown(pointer, instance)

    def review(self, instance: Any, schema_name: str) -> tuple[list[SchemaProblem], list[str]]:
        """:meth:`problems` and :meth:`unknown_fields` of one instance, with one call of a compiled validator
        where the instance has neither (every item of a good list): the closed validator only refuses more than
        the document's, so an instance it accepts is valid and has no unknown field."""
        pointer = self.component(schema_name)
        closed = self._closed(pointer)
        if closed is not None and closed.is_valid(instance):
            return [], []
        return self.problems(instance, schema_name), self._unknown(pointer, instance)

    def _unknown(self, pointer: str, instance: Any) -> list[str]:
        found: list[str] = []
        self._walk_unknown(instance, self._resolve(pointer), "$", found)
        return found

    def _closed(self, pointer: str) -> Any:
        """A compiled validator (jsonschema-rs) of the schema at ``pointer`` in which every object schema refuses
        a property it does not declare, or None: no wheel, or a document where "valid when closed" would not
        mean exactly what the walk of :meth:`unknown_fields` finds (pattern or additional properties, a property
        declared differently in two branches). An instance it accepts has no unknown field; any other is walked,
        so the answer is the same with or without the wheel."""
        if pointer not in self._closed_cache:
            self._closed_cache[pointer] = None
            try:
                import jsonschema_rs
            except ImportError:
                return None
            contents = self._closed_contents
            if contents is None:
                return None
            cls = (jsonschema_rs.Draft202012Validator if self.openapi_version.startswith("3.1")
                   else jsonschema_rs.Draft4Validator)
            with contextlib.suppress(ValueError, TypeError, jsonschema_rs.ValidationError):
                self._closed_cache[pointer] = cls({**contents, "$ref": f"#{pointer}"}, validate_formats=True)
        return self._closed_cache[pointer]

    @cached_property
    def _closed_contents(self) -> dict[str, Any] | None:
        """The validated document with every object schema closed (:func:`_close`), once per document; None when
        closing would not mirror the walk."""
        draft2020 = self.openapi_version.startswith("3.1")
        if not self._closable(self.document):
            return None
        contents = copy.deepcopy(self._contents)
        _close(contents, draft2020, contents)
        return contents

    def _closable(self, node: Any) -> bool:
        if isinstance(node, list):
            return all(self._closable(v) for v in node)
        if not isinstance(node, dict):
            return True
        if "patternProperties" in node or node.get("additionalProperties", False) is not False:
            return False
        seen: dict[str, Any] = {}
        for branch in (b for key in ("allOf", "anyOf", "oneOf") for b in node.get(key, [])):
            for name, sub in self._declared(self._resolve(branch)).items():
                resolved = self._resolve(sub)
                if seen.setdefault(name, resolved) != resolved:  # declared differently in two branches
                    return False
        return all(self._closable(v) for v in node.values())

    def _resolve(self, pointer_or_schema: Any) -> dict[str, Any]:
        node: Any = pointer_or_schema
        if isinstance(node, str):
            node = {"$ref": "#" + node}
        while isinstance(node, dict) and "$ref" in node:
            node = self._at(node["$ref"].lstrip("#"))
        return node if isinstance(node, dict) else {}

    def _declared(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Properties an object may have under ``schema``: its own and those of every allOf/anyOf/oneOf branch
        (a field declared in any branch is known; e.g. ``anyOf: [{$ref: Trekkbeloep}, {type: "null"}]``)."""
        props = dict(schema.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key, []):
                for name, sub in self._declared(self._resolve(branch)).items():
                    props.setdefault(name, sub)
        return props

    def _walk_unknown(self, value: Any, schema: dict[str, Any], path: str, found: list[str]) -> None:
        if isinstance(value, dict):
            props = self._known(schema)
            if not props:
                return
            for key, sub in value.items():
                known = props.get(key)
                if known is None:
                    found.append(f"{path}.{key}")
                elif isinstance(sub, dict | list):  # a scalar has no fields to be unknown
                    self._walk_unknown(sub, known, f"{path}.{key}", found)
        elif isinstance(value, list) and "items" in schema:
            item_schema = self._resolve(schema["items"])
            for i, sub in enumerate(value):
                if isinstance(sub, dict | list):
                    self._walk_unknown(sub, item_schema, f"{path}[{i}]", found)

    def _known(self, schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """:meth:`_declared` with each property's schema resolved, once per schema (the document does not change;
        a list of 100 000 items asks for the same few schemas a million times)."""
        entry = self._known_cache.get(id(schema))
        if entry is None:  # the schema is kept with its entry, so its id cannot be reused while cached
            entry = (schema, {name: self._resolve(sub) for name, sub in self._declared(schema).items()})
            self._known_cache[id(schema)] = entry
        return entry[1]

    def from_xml(self, root: Any, schema_name: str) -> tuple[Any, list[str], list[str]]:
        """An XML answer read by the document's XML mapping (OpenAPI ``xml`` objects): (the instance, to validate
        like a JSON answer; problems with the mapping itself, e.g. the root's name or namespace; the paths of
        elements the schema does not know, worth a warning). Values are typed by the schema (``"2021"`` -> 2021,
        ``"false"`` -> False); a value that is no such type stays text, so validation names it."""
        from conformance.codecs import local_name

        schema = self._resolve(self.component(schema_name))
        problems: list[str] = []
        mapping = schema.get("xml") or {}
        want = mapping.get("name", schema_name)
        ns = mapping.get("namespace")
        got_ns = etree_namespace(root)
        if local_name(root.tag) != want or (ns and got_ns != ns):
            problems.append(f"root element {{{got_ns}}}{local_name(root.tag)}, expected {{{ns}}}{want}")
        unknown: list[str] = []
        return self._xml_object(root, schema, "$", unknown), problems, unknown

    def _xml_object(self, element: Any, schema: dict[str, Any], path: str, unknown: list[str]) -> Any:
        from conformance.codecs import local_name

        props = self._declared(schema)
        by_element = {}
        for name, sub in props.items():
            sub = self._resolve(sub)
            mapping = sub.get("xml") or {}
            if sub.get("type") == "array" and not mapping.get("wrapped"):
                # OpenAPI: the repeated elements are named by items.xml.name, else by the property
                items = self._resolve(sub.get("items", {}))
                element_name = (items.get("xml") or {}).get("name") or name
            else:
                element_name = mapping.get("name") or name
            by_element[element_name] = (name, sub)
        out: dict[str, Any] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = local_name(child.tag)
            if tag not in by_element:
                unknown.append(f"{path}.{tag}")
                continue
            name, sub = by_element[tag]
            if sub.get("type") == "array":
                items = self._resolve(sub.get("items", {}))
                out.setdefault(name, []).append(self._xml_value(child, items, f"{path}.{name}[]", unknown))
            else:
                out[name] = self._xml_value(child, sub, f"{path}.{name}", unknown)
        return out

    def _xml_value(self, element: Any, schema: dict[str, Any], path: str, unknown: list[str]) -> Any:
        kind = schema.get("type")
        structured = "properties" in schema or any(k in schema for k in ("allOf", "anyOf", "oneOf"))
        if kind == "object" or (structured and len(element)):
            return self._xml_object(element, schema, path, unknown)
        text = (element.text or "").strip()
        kinds = kind if isinstance(kind, list) else [kind]
        if "integer" in kinds and re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if "number" in kinds and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
            return float(text)
        if "boolean" in kinds and text in ("true", "false"):
            return text == "true"
        return text

    def response_problems(self, method: str, path: str, response: Any) -> list[Message]:
        """What makes a real response differ from the operation's documented responses: a server error, a status
        the operation does not document (no such code, ``2XX`` range or ``default``), a media type its content does
        not declare, a required response header missing or not valid by its schema. ``path`` is the operation's
        template (parameter names may differ from the document's); ``response`` an httpx response. The body is
        judged by the checks against the component schemas (:meth:`problems`), item by item, so that documented
        variations (a date in the basic form, a local time) can be told from violations."""
        where = {"operation": f"{method.upper()} {path}", "status": response.status_code}
        found: list[Message] = []
        if response.status_code >= 500:
            found.append(Message("spec.resp.server_error", where))
        pointer = self._operation_pointer(method, path)
        if pointer is None:
            return [*found, Message("spec.resp.no_operation", where)]
        responses = self._resolve(pointer + "/responses")
        code = str(response.status_code)
        key = next((k for k in (code, f"{code[0]}XX", f"{code[0]}xx", "default") if k in responses), None)
        if key is None:
            return [*found, Message("spec.resp.status", {**where, "documented": sorted(map(str, responses))})]
        documented, at = self._resolve_at(f"{pointer}/responses/{_escape(key)}")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        declared = list(documented.get("content") or {})
        if declared and response.content and not any(_media_matches(media, d) for d in declared):
            found.append(Message("spec.resp.content_type", {**where, "got": media or "-", "documented": declared}))
        for name, header in (documented.get("headers") or {}).items():
            header, header_at = self._resolve_at(f"{at}/headers/{_escape(name)}")
            value = response.headers.get(name)
            if value is None:
                if header.get("required") is True:
                    found.append(Message("spec.resp.header_missing", {**where, "header": name}))
            elif "schema" in header:
                errors = self._errors(f"{header_at}/schema", _header_value(value, header))
                if errors:
                    found.append(Message("spec.resp.header_invalid", {**where, "header": name,
                                                                      "problem": errors[0].message}))
        return found

    def _operation_pointer(self, method: str, path: str) -> str | None:
        for declared, item in (self.document.get("paths") or {}).items():
            if _template(declared) == _template(path) and isinstance(item, dict) and method.lower() in item:
                return f"/paths/{_escape(declared)}/{method.lower()}"
        return None

    def _resolve_at(self, pointer: str) -> tuple[dict[str, Any], str]:
        """The node at ``pointer`` with its ``$ref`` chain followed, and the pointer of where it ended."""
        node: Any = self._at(pointer)
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].lstrip("#")
            node = self._at(pointer)
        return (node if isinstance(node, dict) else {}), pointer

    def _at(self, pointer: str) -> Any:
        return _follow(self.document, pointer)


def etree_namespace(element: Any) -> str | None:
    from lxml import etree

    return etree.QName(element.tag).namespace


def _close(node: Any, draft2020: bool, root: Any, closing: bool = True) -> None:
    """Close every object schema in place, so that a property nothing declares is refused: 2020-12
    ``unevaluatedProperties: false`` (what the object's branches evaluate counts), Draft 4 the branches' property
    names added to the object's own and ``additionalProperties: false``. The inline branches of an object with
    its own properties, and those of ``allOf``, are parts of that object (mixins) and are not closed themselves."""
    if isinstance(node, list):
        for value in node:
            _close(value, draft2020, root)
        return
    if not isinstance(node, dict):
        return
    mixin = isinstance(node.get("properties"), dict)
    for key, value in node.items():
        if key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            for branch in value:
                _close(branch, draft2020, root, closing=not (mixin or key == "allOf"))
        else:
            _close(value, draft2020, root)
    parts = [_local(root, b) for key in (("allOf", "anyOf", "oneOf") if mixin else ("allOf",))
             for b in node.get(key, [])]
    declared = [name for part in parts if isinstance(part, dict) for name in part.get("properties") or {}]
    if not closing or not (mixin or declared) or "additionalProperties" in node:
        return
    if draft2020:
        node["unevaluatedProperties"] = False
    else:
        node["properties"] = {**{name: {} for name in declared}, **(node.get("properties") or {})}
        node["additionalProperties"] = False


def _local(root: Any, node: Any) -> Any:
    """``node`` with a local ``$ref`` chain followed in ``root``."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = _follow(root, node["$ref"][1:])
    return node


def _follow(root: Any, pointer: str) -> Any:
    """The node at a JSON pointer (``/components/schemas/X``, segments escaped as ``~1`` and ``~0``)."""
    target = root
    for part in pointer.lstrip("/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def _escape(name: str) -> str:
    """A name as one JSON-pointer segment (``/api/x`` -> ``~1api~1x``)."""
    return name.replace("~", "~0").replace("/", "~1")


def _media_matches(media: str, declared: str) -> bool:
    """``application/json`` matches ``application/json``, ``application/*`` and ``*/*`` (parameters ignored)."""
    declared = declared.split(";")[0].strip().lower()
    if declared in (media, "*/*"):
        return True
    return declared.endswith("/*") and media.split("/")[0] == declared[:-2]


def _header_value(value: str, header: dict[str, Any]) -> Any:
    """A header's text as the value its schema describes (headers are text on the wire)."""
    kind = (header.get("schema") or {}).get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    with contextlib.suppress(ValueError):
        if "integer" in kinds and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value)
        if "number" in kinds:
            return float(value)
    if "boolean" in kinds and value.strip() in ("true", "false"):
        return value.strip() == "true"
    return value


def _template(path: str) -> str:
    """A path with its parameter names blanked: ``/a/{trekkid}`` and ``/a/{trekkId}`` are the same operation."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


def load_spec(path: str | Path | None = None, profile: Any = None) -> Spec:
    """The profile's bundled document (default: the default profile's), or the file at ``path`` (YAML or JSON,
    OpenAPI 3.0 or 3.1)."""
    if path is None:
        if profile is None:
            from conformance.profiles import DEFAULT, get

            profile = get(DEFAULT)
        text, source = profile.spec_text, f"bundled:{profile.name}/openapi.yaml"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"OpenAPI file not found: {p}", "download the API's document from SwaggerHub "
                              "(skatteetaten/...) or leave out --spec to use the bundled one") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{p} is not a text file (not UTF-8)",
                              "give the YAML or JSON file as downloaded") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read OpenAPI file {p}: {exc.strerror}",
                              "check the path and permissions") from exc
        source = str(p)
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else yamlfile.load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse OpenAPI document {source}: {exc}".splitlines()[0],
                          "give the YAML or JSON file as downloaded") from exc
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith(("3.0", "3.1")):
        raise ConfigError(f"{source} is not an OpenAPI 3.0 or 3.1 document", "check the file given to --spec")
    return Spec(document, text, source)
