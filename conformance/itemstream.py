"""A JSON array received in chunks and kept on disk, item by item: a list of any length in bounded memory.

:class:`JsonArraySpool` is a :class:`~conformance.http.BodySink`: it splits the array into its items as the
bytes arrive (the standard library's C decoder finds each item's end), writes each item's text as it came to a
spool file, and remembers where it starts. Items are then read back one at a time, in order or by index; memory
holds eight bytes per item plus the item being decoded.

An item read back is the value the standard library's decoder gives for its text, as for a body that was not
spooled: the text is kept as sent, never written again from the decoded value (a serialiser turns NaN and
Infinity into null and refuses integers beyond 64 bits and lone surrogates). Items are read back by
:func:`conformance.jsonvalue.loads` (orjson where it gives the standard library's value); the spool knows from
receiving them whether an integer literal orjson might read as a float came, so a spool that received one reads
every item with the standard library.
"""

from __future__ import annotations

import codecs
import json
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, overload

from conformance import jsonvalue

MAX_ITEM_CHARS = 4 * 1024 * 1024  # one item of a list larger than this is refused (or it is malformed)
PENDING_BYTES = 256 * 1024  # items gathered before they are written to the spool
_WHITESPACE = " \t\r\n"
_NUMBER_CHARS = "0123456789.eE+-"
_KINDS = {"{": "object", '"': "string", "t": "true/false", "f": "true/false", "n": "null"}


def _cut_number(item: Any, text: str, end: int) -> bool:
    """The number decoded may be the start of a longer one cut by the chunk: "12." or "1e-" is not a number, so
    the decoder stops before the "." and returns 12."""
    if not isinstance(item, int | float) or isinstance(item, bool):  # objects, nearly every item: no slicing
        return False
    rest = text[end:end + 3]  # at most "e+" of a number is left over when it was cut
    return len(rest) <= 2 and not rest.strip(_NUMBER_CHARS)


class MalformedArray(ValueError):
    """The body is not a JSON array of items (not JSON, another JSON value, or broken in the middle)."""

    def __init__(self, code: str, reason: str, kind: str | None = None) -> None:
        super().__init__(reason)
        self.code = code  # not_utf8, not_json, not_array, empty, unclosed, trailing, separator, item
        self.kind = kind  # the JSON kind of the top-level value when it is not an array


class JsonArraySpool(Sequence[Any]):
    def __init__(self, on_item: Callable[[Any], None] | None = None) -> None:
        self.on_item = on_item
        # Open for the spool's whole life; closed by close().
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b")  # noqa: SIM115
        self._lock = threading.Lock()
        self._decoder = json.JSONDecoder(parse_int=self._int)
        self.reset()

    def _int(self, literal: str) -> int:
        if len(literal) >= jsonvalue.WIDE_DIGITS:  # a sign counted too: orjson might read it as a float
            self._wide = True
        return int(literal)

    # -- receiving ----------------------------------------------------------------------------------------
    def reset(self) -> None:
        self._text_decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._state = "start"  # start -> items -> after -> ... -> done
        self._offsets = array("q")
        self._end = 0  # where the next item starts
        self._wide = False  # an integer literal orjson might read as a float came
        self._pending = bytearray()  # items not yet in the file (written in blocks: a seek per item flushes)
        self._written = 0  # bytes in the file
        self._file.seek(0)
        self._file.truncate()

    def write(self, chunk: bytes) -> None:
        try:
            self._buffer += self._text_decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise MalformedArray("not_utf8", f"the body is not UTF-8 text ({exc.reason})") from exc
        self._drain(final=False)

    def finish(self) -> None:
        """The body ended: it must have been one complete JSON array."""
        try:
            self._buffer += self._text_decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise MalformedArray("not_utf8", f"the body is not UTF-8 text ({exc.reason})") from exc
        self._drain(final=True)
        if self._state == "start":
            raise MalformedArray("empty", "the body is empty, not a JSON array")
        if self._state != "done":
            raise MalformedArray("unclosed", "the body ends before the JSON array is closed")
        if self._buffer.strip(_WHITESPACE):
            raise MalformedArray("trailing", "the body has more after the JSON array")

    def _drain(self, final: bool) -> None:
        text, pos = self._buffer, 0
        while True:
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            if pos >= len(text) or self._state == "done":
                break
            ch = text[pos]
            if self._state == "start":
                if ch != "[":
                    kind = _KINDS.get(ch, "number" if ch in "-0123456789" else None)
                    if kind is None:
                        raise MalformedArray("not_json", "the body is not JSON")
                    raise MalformedArray("not_array", f"the body is a JSON {kind}, not an array", kind)
                pos, self._state = pos + 1, "first"
            elif self._state in ("first", "after") and ch == "]":
                pos, self._state = pos + 1, "done"
            elif self._state == "after":
                if ch != ",":
                    raise MalformedArray("separator", f"expected ',' or ']' between items, found {ch!r}")
                pos, self._state = pos + 1, "items"
            else:  # a value: "first" or "items"
                try:
                    item, end = self._decoder.raw_decode(text, pos)
                except json.JSONDecodeError as exc:
                    if final or len(text) - pos > MAX_ITEM_CHARS:
                        raise MalformedArray("item", f"an item of the array is not valid JSON ({exc.msg})") from exc
                    break  # the item continues in the next chunk
                if not final and (end >= len(text) or _cut_number(item, text, end)):
                    break  # a number (or literal) might continue in the next chunk
                self._append(item, text[pos:end])
                pos, self._state = end, "after"
        self._buffer = text[pos:]

    def _append(self, item: Any, text: str) -> None:
        data = text.encode("utf-8")  # the text came from UTF-8, so it holds no lone surrogate
        with self._lock:
            self._offsets.append(self._end)
            self._pending += data
            self._end += len(data)
            if len(self._pending) >= PENDING_BYTES:
                self._flush()
        if self.on_item is not None:
            self.on_item(item)

    def _flush(self) -> None:
        """Write the pending items (the lock held): before any read, and each time a block has gathered."""
        if self._pending:
            self._file.seek(self._written)
            self._file.write(self._pending)
            self._written += len(self._pending)
            self._pending.clear()

    # -- reading back -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        offsets = self._offsets
        start = offsets[index]  # IndexError for an index out of range, as a list
        index = index % len(offsets)
        with self._lock:
            end = offsets[index + 1] if index + 1 < len(offsets) else self._end
            self._flush()
            self._file.seek(start)
            data = self._file.read(end - start)
        return self._load(data)

    def __iter__(self) -> Iterator[Any]:
        offsets, load = self._offsets, self._load
        with self._lock:  # the items there are now (one being appended meanwhile is not yet one of them)
            count, total = len(offsets), self._end
        index, block, base = 0, b"", 0  # block: the file's bytes from base on
        while index < count:
            start = offsets[index]
            end = offsets[index + 1] if index + 1 < count else total
            if end - base > len(block):  # the item goes past the block: read the next one from its start
                with self._lock:
                    self._flush()
                    self._file.seek(start)
                    block, base = self._file.read(max(1 << 20, end - start)), start
            yield load(block[start - base:end - base])
            index += 1

    def _load(self, data: bytes) -> Any:
        """The value of one item's text, as the standard library decodes it."""
        return jsonvalue.loads(data, self._wide)

    def __bool__(self) -> bool:
        return len(self._offsets) > 0

    def close(self) -> None:
        self._file.close()
