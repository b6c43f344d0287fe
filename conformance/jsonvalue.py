"""A JSON document (bytes or text) decoded to the value the standard library (and httpx's ``response.json()``)
gives, by orjson wherever orjson gives that same value: it is several times faster per document.

orjson refuses what the standard library reads differently (NaN, Infinity, an overflowing number, a lone
surrogate, UTF-16 and UTF-32): those documents go to the standard library. The one difference it does not refuse
is an integer beyond 64 bits, which it reads as a float; so a document that may hold one goes to the standard
library too. A caller that parsed the text already knows (``wide``); otherwise any run of
:data:`WIDE_DIGITS` digits counts, in a string too, to stay simple.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

WIDE_DIGITS = 19  # an integer literal of this many digits may exceed orjson's 64 bits; 18 never do
# A run of WIDE_DIGITS digits is found as WIDE_DIGITS zeros in the bytes with every digit made "0" and every other
# byte " ": two C loops over the bytes, an order of magnitude faster than a regex (which tries each digit of the
# many long identifiers as a start) and faster than decoding the document.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_WIDE_RUN = b"0" * WIDE_DIGITS


def may_be_wide(data: bytes | str) -> bool:
    """The document holds a run of :data:`WIDE_DIGITS` digits (in a number or in a string)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return raw.translate(_DIGITS_AS_ZERO).find(_WIDE_RUN) >= 0


def loads(data: bytes | str, wide: bool | None = None) -> Any:
    """The value of a JSON document, its bytes or its text; ``ValueError`` (``json.JSONDecodeError``) when it is
    not JSON. ``wide``: the document may hold an integer of :data:`WIDE_DIGITS` digits or more (None: look for
    one)."""
    if wide is None:
        wide = may_be_wide(data)
    if not wide:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)
