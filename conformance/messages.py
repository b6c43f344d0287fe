"""Texts in the report's language: every message a check, a judge or the run itself produces has an id with a
Norwegian bokmål and an English text, so the report never mixes languages.

A check fails, skips and records steps and warnings with message ids. The result keeps each message's id and
parameters (its *ref*) beside the rendered text, so ``sbs-conformance report --lang en`` renders it again in
the other language. Free text (a vendor's own ``assert x, "..."``) is a message without id and reads the same in
both languages. How checks raise outcomes with messages is in :mod:`conformance.outcomes`.

Texts are YAML files (``id: {nb: ..., en: ...}``) with ``str.format`` fields; a parameter that is a list is
joined (messages with "; ", values with ", "), and a parameter that is itself a :class:`Message` is rendered in
the same language.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from conformance import yamlfile

LANGS = ("nb", "en")
#: Message files, as (package, resource). The profiles add theirs through :func:`register`.
_FILES: list[tuple[str, str]] = [("conformance", "messages.yaml"), ("conformance.suite", "messages.yaml"),
                                  ("conformance.clientcheck", "messages.yaml")]
_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+$")


def register(package: str, resource: str = "messages.yaml") -> None:
    """Add a message file (a profile's, or a vendor's plugin's); ids must be unique across files."""
    if (package, resource) not in _FILES:
        _FILES.append((package, resource))
        _texts.cache_clear()


def _profile_files() -> list[tuple[str, str]]:
    """Each registered profile's ``messages.yaml`` (its checks' and client check's texts)."""
    from conformance.profiles import profiles

    return [(p.package, "messages.yaml") for p in profiles() if p.resource("messages.yaml").is_file()]


@cache
def _texts() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for package, resource in [*_FILES, *_profile_files()]:
        data = yamlfile.load(files(package).joinpath(resource).read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in out:
                raise ValueError(f"message id {key} is defined twice ({package}/{resource})")
            if not _ID.match(key) or not isinstance(texts, dict) or set(texts) != set(LANGS):
                raise ValueError(f"message {key} in {package}/{resource} needs exactly the texts nb and en")
            out[key] = {lang: str(texts[lang]) for lang in LANGS}
    return out


def known(message_id: str) -> bool:
    return bool(_ID.match(message_id)) and message_id in _texts()


class _Lenient(string.Formatter):
    """A missing parameter shows as ``{name}`` instead of raising: a text must never break a report."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return super().get_value(key, args, kwargs)


_FORMAT = _Lenient()


@dataclass(frozen=True)
class Message:
    """A text by id and parameters; ``id == ""`` is free text (``params["text"]``)."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def text(cls, value: str) -> Message:
        return cls("", {"text": value})

    def render(self, lang: str = "en") -> str:
        if not self.id:
            return str(self.params.get("text", ""))
        texts = _texts().get(self.id)
        if texts is None:  # an id from a newer or foreign catalogue: still readable
            return f"{self.id} {dict(self.params)}" if self.params else self.id
        values = {k: _show(v, lang) for k, v in self.params.items()}
        return _FORMAT.format(texts[lang if lang in LANGS else "nb"], **values)

    def __str__(self) -> str:
        return self.render("en")

    def ref(self) -> dict[str, Any]:
        """A JSON-able form, for results.json."""
        return {"id": self.id, "params": {k: _to_ref(v) for k, v in self.params.items()}}

    @classmethod
    def from_ref(cls, ref: Mapping[str, Any]) -> Message:
        return cls(str(ref.get("id", "")), {k: _from_ref(v) for k, v in (ref.get("params") or {}).items()})

    def map_strings(self, fn: Any) -> Message:
        """The same message with ``fn`` applied to every string parameter (redaction, pseudonyms)."""
        return Message(self.id, {k: _map(v, fn) for k, v in self.params.items()})


def _show(value: Any, lang: str) -> str:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, list | tuple):  # findings (messages) are separated more strongly than values
        separator = "; " if any(isinstance(v, Message) for v in value) else ", "
        return separator.join(_show(v, lang) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _to_ref(value: Any) -> Any:
    if isinstance(value, Message):
        return {"$msg": value.ref()}
    if isinstance(value, list | tuple):
        return [_to_ref(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _from_ref(value: Any) -> Any:
    if isinstance(value, dict) and "$msg" in value:
        return Message.from_ref(value["$msg"])
    if isinstance(value, list):
        return [_from_ref(v) for v in value]
    return value


def _map(value: Any, fn: Any) -> Any:
    if isinstance(value, Message):
        return value.map_strings(fn)
    if isinstance(value, list | tuple):
        return [_map(v, fn) for v in value]
    return fn(value) if isinstance(value, str) else value


def as_message(value: str | Message, params: Mapping[str, Any] | None = None) -> Message:
    """A message from an id (with parameters) or from free text."""
    if isinstance(value, Message):
        return value
    if params or known(value):
        return Message(value, dict(params or {}))
    return Message.text(value)


def join(messages: Iterable[Message], limit: int | None = None) -> Message:
    """Several messages as one (``a; b; c``), at most ``limit`` of them with the total count."""
    items = list(messages)
    shown = items if limit is None else items[:limit]
    if limit is not None and len(items) > limit:
        return Message("run.some_of", {"shown": shown, "total": len(items)})
    return Message("run.list", {"items": shown})
