"""The spool of a long list: items read back are the values the standard library decodes from what was sent."""

from __future__ import annotations

import json

import pytest

from conformance.itemstream import JsonArraySpool, MalformedArray

# Values a serialiser cannot write back as they came: NaN and Infinity (orjson writes null), an integer beyond
# 64 bits (orjson refuses it, and reads it as a float), a lone surrogate; and items spread over several lines.
TRICKY = ('[ {"a": NaN, "b": 1e400, "c": -Infinity, "d": 0.1},\n'
          ' {"big": 18446744073709551616, "neg": -9223372036854775809, "max": 9223372036854775807},\n'
          ' {\n  "s": "\\ud800x", "u": "æøå 😀", "esc": "\\"\\n\\u00e6"\n },\n'
          ' 1, -0.0, 2.5e-3, 7E+2, 12, "x", [], {}, null, true, {"a": 1, "b": 2, "a": 3}\n]')


def spooled(body: bytes, chunk: int) -> JsonArraySpool:
    spool = JsonArraySpool()
    for i in range(0, len(body), chunk):
        spool.write(body[i:i + chunk])
    spool.finish()
    return spool


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
def test_items_read_back_are_what_the_standard_library_decodes(chunk):
    expected = json.loads(TRICKY)
    spool = spooled(TRICKY.encode(), chunk)
    # repr: NaN is not equal to itself, and 1 == 1.0 == True would hide a changed type
    assert repr(list(spool)) == repr(expected)
    assert repr([spool[i] for i in range(len(spool))]) == repr(expected)
    assert repr(spool[-1]) == repr(expected[-1]) and repr(spool[1:3]) == repr(expected[1:3])
    assert type(spool[1]["big"]) is int and spool[1]["big"] == 2**64


def test_a_number_cut_by_a_chunk_is_read_whole():
    for cut in range(1, 7):  # "[12.5e-3]" cut after "1", "12", "12.", "12.5", "12.5e", "12.5e-"
        spool = JsonArraySpool()
        spool.write(b"[12.5e-3"[:cut + 1])
        spool.write(b"[12.5e-3]"[cut + 1:])
        spool.finish()
        assert list(spool) == [0.0125]


def test_without_long_integers_items_are_read_as_well():
    body = '[{"a": NaN}, {"n": 123456789012345678, "f": 1.5e300, "s": "\\udc00"}, [1, [2, {"x": "y"}]]]'
    spool = spooled(body.encode(), 7)
    assert repr(list(spool)) == repr(json.loads(body))


def test_on_item_sees_each_decoded_item_in_order():
    seen = []
    spool = JsonArraySpool(on_item=seen.append)
    spool.write(b'[{"a": 1}, [2], "3"]')
    spool.finish()
    assert seen == [{"a": 1}, [2], "3"] == list(spool)


def test_items_larger_than_a_read_block_and_many_small_ones():
    big = "x" * (3 << 20)
    items = [{"i": i} for i in range(50_000)] + [{"big": big}] + [{"i": -i} for i in range(1000)]
    spool = spooled(json.dumps(items, indent=1).encode(), 1 << 16)
    assert len(spool) == len(items)
    assert list(spool) == items
    assert spool[50_000] == {"big": big} and spool[50_001] == {"i": 0} and spool[-1] == {"i": -999}


def test_an_index_out_of_range_raises_index_error_as_a_list():
    spool = spooled(b"[1, 2]", 10)
    with pytest.raises(IndexError):
        spool[2]
    with pytest.raises(IndexError):
        spool[-3]
    assert not spooled(b" [ ] ", 1) and len(spooled(b"[]", 1)) == 0


def test_reset_starts_a_new_list():
    spool = spooled(b'[1, 2, 3, 18446744073709551616]', 3)
    spool.reset()
    spool.write(b'[{"a": [4]}]')
    spool.finish()
    assert list(spool) == [{"a": [4]}] and spool[0] == {"a": [4]}


@pytest.mark.parametrize(("body", "code", "kind"), [
    (b"", "empty", None),
    (b"   ", "empty", None),
    (b"<html/>", "not_json", None),
    (b'{"a": 1}', "not_array", "object"),
    (b"12", "not_array", "number"),
    (b'"x"', "not_array", "string"),
    (b"[1, 2", "unclosed", None),
    (b"[1] x", "trailing", None),
    (b"[1 2]", "separator", None),
    (b"[1, {]", "item", None),
    (b'["\xff"]', "not_utf8", None),
])
def test_a_body_that_is_not_one_json_array_is_refused_with_its_cause(body, code, kind):
    with pytest.raises(MalformedArray) as caught:
        spooled(body, 1)
    assert caught.value.code == code and caught.value.kind == kind


def test_the_unpaged_lists_sekvensnummer_order_is_sorted_once_and_again_after_a_reset():
    from conformance.profiles.trekkpaalegg.liste import Liste

    liste = Liste()
    liste.write(b'[{"trekkid": "1", "trekkversjon": 1, "sekvensnummer": 30}, {"trekkid": "2", "sekvensnummer": 10},'
                b' {"trekkid": "3", "sekvensnummer": "x"}, {"trekkid": "4", "sekvensnummer": 20}]')
    liste.finish()
    order = liste.in_seq_order()
    assert order == (2, 1, 3, 0)  # no usable sekvensnummer first, then ascending
    assert liste.in_seq_order() is order
    liste.reset()
    liste.write(b'[{"trekkid": "9", "sekvensnummer": 5}]')
    liste.finish()
    assert liste.in_seq_order() == (0,)
