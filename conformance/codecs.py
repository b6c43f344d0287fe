"""Bodies by media type: JSON and XML parsed, walked, rewritten and pretty-printed the same way.

Every output path (redaction of secrets, pseudonymisation of personal data, the report's body previews, the
korrelasjonsid of an error) goes through :func:`codec_for`, so an XML body gets exactly the treatment a JSON body
gets: values under known keys (element or attribute names in XML) are replaced by key, all other text is scanned.
XML is parsed with lxml without entities, DTDs or network access (a server's answer is untrusted input).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator
from typing import Any, Protocol

from lxml import etree

from conformance import jsonvalue

#: keyed(key, value) -> replacement for a scalar under ``key``, or None to treat it as free text
Keyed = Callable[[str, str], str | None]
Free = Callable[[str], str]

FEIL_NS = "urn:no:skatteetaten:datasamarbeid:feil:v1"  # the common XML error format (feil.xsd)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_blank_text=False)


class Codec(Protocol):
    name: str

    def parse(self, text: str) -> Any: ...

    def dump(self, tree: Any) -> str: ...

    def pretty(self, text: str) -> str: ...

    def keyed_leaves(self, tree: Any, keys: Container[str]) -> list[tuple[str, str]]: ...

    def rewrite(self, tree: Any, keyed: Keyed, free: Free, keys: Container[str] | None = None) -> Any: ...


class JsonCodec:
    name = "json"

    def parse(self, text: str) -> Any:
        return jsonvalue.loads(text)  # the standard library's value (every body of a run is parsed twice or more)

    def dump(self, tree: Any) -> str:
        return json.dumps(tree, ensure_ascii=False)

    def pretty(self, text: str) -> str:
        return json.dumps(jsonvalue.loads(text), ensure_ascii=False, indent=2)

    def keyed_leaves(self, tree: Any, keys: Container[str]) -> list[tuple[str, str]]:
        """(key, value) of every scalar under one of ``keys`` (in a list: the key of the list), in document order;
        only the values it returns are turned into text (a long list's other values cost a look-up each)."""
        found: list[tuple[str, str]] = []

        def walk(node: Any, key: str) -> None:
            pairs = node.items() if isinstance(node, dict) else ((key, v) for v in node)
            for k, v in pairs:
                if isinstance(v, dict | list):
                    walk(v, k)
                elif k in keys and v is not None and not isinstance(v, bool):
                    found.append((k, str(v)))

        walk(tree if isinstance(tree, dict | list) else [tree], "")
        return found

    def rewrite(self, tree: Any, keyed: Keyed, free: Free, keys: Container[str] | None = None) -> Any:
        """The tree with every scalar under a key given to ``keyed`` (None: keep looking) and every other string to
        ``free``. ``keys``, where given, are the only keys ``keyed`` answers for: the others skip the call (the
        members of a long list's objects are handled in the loop, one call for each string only)."""

        def scalar(node: Any, key: str) -> Any:
            if not isinstance(node, str | int | float) or isinstance(node, bool):
                return node
            if key and (keys is None or key in keys):
                replaced = keyed(key, node if isinstance(node, str) else str(node))
                if replaced is not None:
                    return replaced
            return free(node) if isinstance(node, str) else node

        def value(node: Any, key: str) -> Any:
            if isinstance(node, dict):
                out = {}
                for k, v in node.items():
                    if isinstance(v, dict | list):
                        out[k] = value(v, k)
                    elif keys is not None and k not in keys:  # not personal: only a string's text can change
                        out[k] = free(v) if isinstance(v, str) else v
                    else:
                        out[k] = scalar(v, k)
                return out
            if isinstance(node, list):
                return [value(v, key) for v in node]
            return scalar(node, key)

        return value(tree, "")


def local_name(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


class XmlCodec:
    name = "xml"

    def parse(self, text: str) -> Any:
        return etree.fromstring(text.encode("utf-8"), _PARSER)

    def dump(self, tree: Any) -> str:
        return etree.tostring(tree, encoding="unicode")

    def pretty(self, text: str) -> str:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True,
                                                                       load_dtd=False, remove_blank_text=True))
        return etree.tostring(root, encoding="unicode", pretty_print=True).rstrip("\n")

    def keyed_leaves(self, tree: Any, keys: Container[str]) -> list[tuple[str, str]]:
        """(name, value) of every attribute and leaf element named one of ``keys``, in document order."""
        return [(name, value) for name, value in self._leaves(tree) if name in keys]

    def _leaves(self, tree: Any) -> Iterator[tuple[str, str]]:
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue  # comments, processing instructions
            for name, value in element.attrib.items():
                yield local_name(name), value
            if len(element) == 0 and element.text and element.text.strip():
                yield local_name(element.tag), element.text.strip()

    def rewrite(self, tree: Any, keyed: Keyed, free: Free, keys: Container[str] | None = None) -> Any:
        """As :meth:`JsonCodec.rewrite`; ``keys`` is only a hint and not needed here (XML bodies are few)."""
        for element in tree.iter():
            if not isinstance(element.tag, str):
                if element.text:
                    element.text = free(element.text)
                continue
            for name, value in list(element.attrib.items()):
                element.attrib[name] = keyed(local_name(name), value) or free(value)
            if element.text and element.text.strip():
                replaced = keyed(local_name(element.tag), element.text.strip()) if len(element) == 0 else None
                element.text = replaced if replaced is not None else free(element.text)
            if element.tail and element.tail.strip():
                element.tail = free(element.tail)
        return tree


JSON_CODEC, XML_CODEC = JsonCodec(), XmlCodec()


def codec_for(content_type: str, text: str = "") -> Codec | None:
    """The codec of a media type (``application/json``, ``+json``, ``application/xml``, ``text/xml``,
    ``+xml``); without a usable content type, the body's first character decides."""
    media = content_type.split(";")[0].strip().lower()
    if media.endswith(("/json", "+json")):
        return JSON_CODEC
    if media.endswith(("/xml", "+xml")):
        return XML_CODEC
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return JSON_CODEC
    if start == "<" and not media.startswith("text/html"):
        return XML_CODEC
    return None


def parsed(content_type: str, text: str, whole: bool = True) -> tuple[Codec, Any] | None:
    """(codec, tree) of a body, or None when it is of no known kind or does not parse. Only the beginning of a
    body (not ``whole``: the evidence keeps the first characters of a long one) is no document and is not parsed."""
    codec = codec_for(content_type, text) if whole else None
    if codec is None or not text.strip():
        return None
    try:
        return codec, codec.parse(text)
    except (ValueError, etree.XMLSyntaxError):
        return None


def rewrite_text(content_type: str, text: str, keyed: Keyed, free: Free, whole: bool = True,
                 keys: Container[str] | None = None) -> str:
    """The body with values under known keys replaced by ``keyed`` and all other text by ``free``; a body that
    does not parse, or only its beginning (not ``whole``), is treated as free text as a whole. ``keys``: the only
    keys ``keyed`` answers for, where they are known (JSON then skips the call for every other key)."""
    found = parsed(content_type, text, whole)
    if found is None:
        return free(text)
    codec, tree = found
    return codec.dump(codec.rewrite(tree, keyed, free, keys))


def pretty(content_type: str, text: str) -> str:
    """Indented for reading (the report), or the text unchanged when it does not parse."""
    codec = codec_for(content_type, text)
    if codec is None:
        return text
    try:
        return codec.pretty(text)
    except (ValueError, etree.XMLSyntaxError):
        return text


def error_fields(content_type: str, text: str) -> dict[str, Any] | None:
    """``{kode, melding, korrelasjonsid}`` of an error body: a JSON object, or the XML ``feil`` element
    (namespace :data:`FEIL_NS`). None when the body is neither."""
    found = parsed(content_type, text)
    if found is None:
        return None
    codec, tree = found
    if codec is JSON_CODEC:
        return tree if isinstance(tree, dict) else None
    if local_name(tree.tag) != "feil":
        return None
    out: dict[str, Any] = {"_namespace": etree.QName(tree.tag).namespace}
    for child in tree:
        if isinstance(child.tag, str):
            out[local_name(child.tag)] = (child.text or "").strip()
    return out


def xml_to_plain(element: Any, repeated: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An element's children as a plain mapping, for comparing an XML answer with the JSON one element by element:
    leaves become text, elements named in ``repeated`` (or occurring more than once) become lists."""
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child.tag)
        value: Any = xml_to_plain(child, repeated) if len(child) else (child.text or "").strip()
        if name in repeated or name in out:
            existing = out.get(name)
            if existing is None:
                out[name] = [value]
            elif isinstance(existing, list):
                existing.append(value)
            else:
                out[name] = [existing, value]
        else:
            out[name] = value
    return out
