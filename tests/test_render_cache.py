"""Jinja2's compiled templates are kept between runs; the output never depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import render, sqllint
from generator.compiler import compile_taxonomy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(monkeypatch):
    """Each test chooses its own cache folder (the choice is remembered per process)."""
    def use(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("TRACKGEN_CACHE_DIR", raising=False)
        else:
            monkeypatch.setenv("TRACKGEN_CACHE_DIR", value)
        render.bytecode_cache.cache_clear()
    yield use
    render.bytecode_cache.cache_clear()


def _compile(monkeypatch) -> dict[str, str]:
    monkeypatch.setattr(sqllint, "_CLEAN", set())
    monkeypatch.setattr(sqllint, "_CLEAN_SHAPES", set())
    result = compile_taxonomy(ROOT / "taxonomy")
    assert result.ok
    return result.files


def test_cached_templates_give_the_same_files(tmp_path, monkeypatch, cache_dir):
    cache_dir("")
    assert render.bytecode_cache() is None
    plain = _compile(monkeypatch)
    cache_dir(str(tmp_path / "cache"))
    first = _compile(monkeypatch)  # compiles and stores every template it uses
    stored = sorted(p.name for p in (tmp_path / "cache").rglob("*.cache"))
    assert len(stored) >= 20
    loads = []
    original = render.bytecode_cache().load_bytecode
    monkeypatch.setattr(render.bytecode_cache(), "load_bytecode",
                        lambda bucket: (loads.append(bucket.key), original(bucket))[1])
    second = _compile(monkeypatch)  # new environments: every template comes from the cache
    assert first == plain and second == plain
    assert len(loads) >= len(stored)


def test_an_edited_template_is_compiled_again(tmp_path, cache_dir):
    cache_dir(str(tmp_path / "cache"))
    (tmp_path / "t").mkdir()
    page = tmp_path / "t" / "page.txt.j2"
    page.write_text("one {{ x }}\n")
    assert render.environment(tmp_path / "t").get_template("page.txt.j2").render(x=1) == "one 1\n"
    page.write_text("two {{ x }}\n")
    assert render.environment(tmp_path / "t").get_template("page.txt.j2").render(x=1) == "two 1\n"


def test_a_cache_folder_that_cannot_be_made_means_no_cache(tmp_path, cache_dir):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache_dir(str(blocker / "cache"))
    assert render.bytecode_cache() is None
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.txt.j2").write_text("{{ x }}\n")
    assert render.environment(tmp_path / "t").get_template("page.txt.j2").render(x=2) == "2\n"
