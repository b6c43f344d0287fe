"""Personal data in outputs: replaced by stable pseudonyms, so a reader can follow one person across calls.

Three ways a value is found: by key (the profiles hand in theirs: ``skyldner``, ``kontonummer``, ``kidnummer``,
``personidentifikator``, ...; JSON keys and XML element or attribute names alike), by value once it was seen
under such a key, and by pattern in free text (11 digits with valid fødselsnummer/D-nummer or kontonummer
control digits). Pseudonyms are an HMAC with a random per-run salt that is never written, so they cannot be
turned back into numbers by trying all of them.

Replacing is linear in the text: the text's maximal digit runs are looked up in a dictionary of known values
(one pass, whatever the number of known values), because a personal number only counts as one when it is
not part of a longer number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.identifiers import fnr_ok, kontonr_ok

#: Keys every Skatteetaten API uses for personal data; a profile adds its own (``Profile.personal_keys``).
KEY_KINDS = {"skyldner": "fnr", "kontonummer": "konto", "kidnummer": "kid", "personidentifikator": "fnr",
             "foedselsnummer": "fnr"}
MIN_LEARNED = 6  # shorter learned values (short KIDs) are replaced by key only, never in free text
MIN_SCANNED = 9  # values the leak scan searches for
#: A maximal run of digits long enough to be personal (nothing shorter is ever replaced or scanned for): amounts,
#: dates and sequence numbers in a long list never reach the per-run callback.
DIGIT_RUN = re.compile(rf"[0-9]{{{MIN_LEARNED},}}")
PSEUDONYMS_KEPT = 1 << 16  # pseudonyms remembered (a 100 000-item run writes ~27 000 distinct ones ~90 000 times)
_SCANNED_RUN = re.compile(rf"[0-9]{{{MIN_SCANNED},}}")


class Pseudonymiser:
    def __init__(self, salt: bytes | None = None, enabled: bool = True,
                 key_kinds: Mapping[str, str] | None = None) -> None:
        self._salt = salt or os.urandom(16)
        self._mac = hmac.new(self._salt, digestmod=hashlib.sha256)  # keyed once; each pseudonym copies it
        self._pseudonyms: dict[tuple[str, str], str] = {}  # the same values come back page after page
        self.enabled = enabled
        self.key_kinds = dict(key_kinds or KEY_KINDS)
        # raw value -> kind; pseudonyms are computed when used, so that a large run's values cost little memory
        self._known: dict[str, str] = {}
        self._free_text: set[str] = set()  # the all-digit values long enough to be replaced in free text
        self._other_values: dict[str, str] = {}  # learned values with other characters (rare)

    def pseudonym(self, kind: str, value: str) -> str:
        known = self._pseudonyms.get((kind, value))
        if known is None:
            mac = self._mac.copy()
            mac.update(f"{kind}:{value}".encode())
            if len(self._pseudonyms) >= PSEUDONYMS_KEPT:
                self._pseudonyms.clear()
            known = self._pseudonyms[(kind, value)] = f"{kind}-{mac.hexdigest()[:10]}"
        return known

    def _remember(self, kind: str, value: str) -> str:
        known = self._known.get(value)
        if known is None:
            known = self._known[value] = kind
            if len(value) >= MIN_LEARNED:
                if value.isdigit():
                    self._free_text.add(value)
                else:
                    self._other_values[value] = self.pseudonym(kind, value)
        return self.pseudonym(known, value)

    def learn(self, value: Any) -> None:
        """Remember personal values found under known keys in a parsed JSON document (the walk of
        :meth:`learn_body`)."""
        from conformance.codecs import JSON_CODEC

        self.learn_pairs(JSON_CODEC.keyed_leaves(value, self.key_kinds))

    def learn_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember values given as (key, value), e.g. from an XML document's leaf elements."""
        for key, value in pairs:
            if key in self.key_kinds and value:
                self._remember(self.key_kinds[key], value)

    @property
    def raw_values(self) -> list[str]:
        """Values that must not appear in pseudonymised output (long enough to search for)."""
        return [v for v in self._known if len(v) >= MIN_SCANNED]

    def text(self, value: str) -> str:
        if not self.enabled or len(value) < MIN_LEARNED:  # nothing shorter is learned or replaced (most values)
            return value
        for raw, pseudonym in self._other_values.items():  # few or none: values that are not all digits
            if raw in value:
                value = value.replace(raw, pseudonym)
        return DIGIT_RUN.sub(self._digits, value)  # a text without a long digit run comes back as it was

    def _digits(self, m: re.Match[str]) -> str:
        digits = m.group(0)
        if digits in self._free_text:
            return self.pseudonym(self._known[digits], digits)
        if len(digits) == 11 and _standalone(m):  # by pattern only a number of its own, not part of an id or hash
            if fnr_ok(digits):
                return self._remember("fnr", digits)
            if kontonr_ok(digits):
                return self._remember("konto", digits)
        return digits

    def keyed(self, key: str, value: str) -> str | None:
        """The pseudonym of a value under a personal key (JSON key, XML element or attribute), else None."""
        if not self.enabled or key not in self.key_kinds or not value:
            return None
        return self._remember(self.key_kinds[key], value)

    def body(self, text: str, content_type: str = "", whole: bool = True) -> str:
        """A body (JSON, XML or text) with its personal values replaced. The beginning of a body (not ``whole``)
        is free text, as any body that does not parse."""
        if not self.enabled or not text:
            return text
        from conformance.codecs import rewrite_text

        return rewrite_text(content_type, text, self.keyed, self.text, whole, keys=self.key_kinds)

    def learn_body(self, text: str, content_type: str = "", whole: bool = True) -> None:
        """Remember the personal values under known keys of a body (JSON or XML; other bodies, and the beginning
        of a body (not ``whole``), are matched by pattern when written)."""
        from conformance.codecs import parsed

        found = parsed(content_type, text, whole) if text else None
        if found is not None:
            codec, tree = found
            self.learn_pairs(codec.keyed_leaves(tree, self.key_kinds))


def _standalone(m: re.Match[str]) -> bool:
    """The digits are not part of a longer token such as a UUID, a hex digest or a word."""
    text, start, end = m.string, m.start(), m.end()
    return not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum())


def digit_runs(text: str) -> set[str]:
    """The maximal digit runs of a text of at least :data:`MIN_SCANNED` digits (for the leak scan)."""
    return set(_SCANNED_RUN.findall(text))
