"""Personal data in outputs: replaced by stable pseudonyms, so a reader can follow one person across calls.

Three ways a value is found: by JSON key (``skyldner``, ``kontonummer``, ``kidnummer``), by value once it
was seen under such a key, and by pattern in free text (11 digits with valid fødselsnummer/D-nummer or
kontonummer control digits). Pseudonyms are an HMAC with a random per-run salt that is never written, so
they cannot be turned back into numbers by trying all of them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from conformance.identifiers import fnr_ok, kontonr_ok

KEY_KINDS = {"skyldner": "fnr", "kontonummer": "konto", "kidnummer": "kid"}
_ELEVEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]{11}(?![0-9A-Za-z])")
MIN_LEARNED = 6  # shorter learned values (short KIDs) are replaced by key only, never in free text


class Pseudonymiser:
    def __init__(self, salt: bytes | None = None, enabled: bool = True) -> None:
        self._salt = salt or os.urandom(16)
        self.enabled = enabled
        self._known: dict[str, str] = {}  # raw value -> pseudonym

    def pseudonym(self, kind: str, value: str) -> str:
        digest = hmac.new(self._salt, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:10]
        return f"{kind}-{digest}"

    def _remember(self, kind: str, value: str) -> str:
        if value not in self._known:
            self._known[value] = self.pseudonym(kind, value)
        return self._known[value]

    def learn(self, value: Any) -> None:
        """Remember personal values found under known keys in a JSON document."""
        if isinstance(value, dict):
            for k, v in value.items():
                if k in KEY_KINDS and isinstance(v, str | int) and str(v):
                    self._remember(KEY_KINDS[k], str(v))
                else:
                    self.learn(v)
        elif isinstance(value, list):
            for v in value:
                self.learn(v)

    @property
    def raw_values(self) -> list[str]:
        """Values that must not appear in pseudonymised output (long enough to search for)."""
        return [v for v in self._known if len(v) >= 9]

    def text(self, value: str) -> str:
        if not self.enabled or not value:
            return value
        for raw in sorted((v for v in self._known if len(v) >= MIN_LEARNED), key=len, reverse=True):
            if raw in value:
                value = re.sub(rf"(?<![0-9]){re.escape(raw)}(?![0-9])", self._known[raw], value)

        def by_pattern(m: re.Match[str]) -> str:
            digits = m.group(0)
            if fnr_ok(digits):
                return self._remember("fnr", digits)
            if kontonr_ok(digits):
                return self._remember("konto", digits)
            return digits

        return _ELEVEN_DIGITS.sub(by_pattern, value)

    def json(self, value: Any) -> Any:
        if not self.enabled:
            return value
        if isinstance(value, dict):
            return {k: (self._remember(KEY_KINDS[k], str(v)) if k in KEY_KINDS and isinstance(v, str | int)
                        else self.json(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
