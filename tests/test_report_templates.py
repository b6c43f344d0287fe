"""The report's compiled template is kept between runs (Jinja's per-user cache folder) and is never trusted
blindly: a changed option, a damaged file or a cache that cannot be written means it is compiled again, and the
report is the same."""

from __future__ import annotations

import os
import tempfile

import jinja2
import pytest
from reportkit import recorded_evidence, result_for

from conformance.report import html


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """Jinja's default cache folder under tmp_path, and a fresh environment before and after."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html._environment.cache_clear()
    yield tmp_path / f"_jinja2-cache-{os.getuid()}"
    html._environment.cache_clear()


@pytest.fixture(scope="module")
def result():
    return result_for(recorded_evidence())


def _render_without_compiling(monkeypatch, result) -> str:
    html._environment.cache_clear()

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled although a compiled template was cached")

    with monkeypatch.context() as m:
        m.setattr(jinja2.Environment, "compile", no_compile)
        return html.render_html(result)


def test_a_second_run_loads_the_compiled_template_and_renders_the_same(cache_home, monkeypatch, result):
    first = html.render_html(result)
    assert len(list(cache_home.iterdir())) == 1
    assert _render_without_compiling(monkeypatch, result) == first


def test_the_key_holds_the_options_the_template_was_compiled_with(cache_home, monkeypatch):
    key = html._CompiledTemplates().get_cache_key("report.html.j2", "/x/report.html.j2")
    monkeypatch.setitem(html._OPTIONS, "trim_blocks", False)
    assert html._CompiledTemplates().get_cache_key("report.html.j2", "/x/report.html.j2") != key


def test_a_damaged_file_or_no_cache_folder_compiles_again_and_renders_the_same(cache_home, result):
    first = html.render_html(result)
    (cached,) = cache_home.iterdir()
    cached.write_bytes(cached.read_bytes()[:40] + b"\x00damaged")  # Jinja's head, then nonsense
    html._environment.cache_clear()
    assert html.render_html(result) == first
    for entry in cache_home.iterdir():
        entry.unlink()
    cache_home.rmdir()
    cache_home.write_text("not a folder")  # no safe cache folder can be had
    html._environment.cache_clear()
    assert html._environment().bytecode_cache is None
    assert html.render_html(result) == first


def test_a_cache_that_cannot_be_written_is_passed_by(tmp_path, result):
    html._environment.cache_clear()
    expected = html.render_html(result)
    gone = tmp_path / "gone"
    cache = html._CompiledTemplates(str(gone))  # a folder that is not there: nothing can be written to it
    env = jinja2.Environment(loader=jinja2.PackageLoader("conformance.report", "templates"), bytecode_cache=cache,
                             **html._OPTIONS)
    env.filters.update(html._environment().filters)
    assert env.get_template("report.html.j2") is not None and not gone.exists()
    html._environment.cache_clear()
    assert html.render_html(result) == expected
