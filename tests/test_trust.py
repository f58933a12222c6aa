"""Trust: code that runs as the learner is asked about once per file and content (gistquiz/trust.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from gistquiz import trust
from gistquiz.locations import bundled_decks_dir, demos_dir
from gistquiz.store import TABLES_SINCE, Store

NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


def test_bundled_decks_and_demos_run_without_asking(store):
    deck = trust.deck_code(bundled_decks_dir() / "gist-dl-exercises.md")
    demo = trust.demo_code(demos_dir() / "tiny_cnn.py")
    assert deck.bundled and demo.bundled
    assert trust.is_trusted(store, deck) and trust.is_trusted(store, demo)


def test_a_users_file_is_asked_once_per_content(store, tmp_path):
    path = tmp_path / "mine.md"
    path.write_text("# Mine\n")
    code = trust.deck_code(path)
    assert not code.bundled and not trust.is_trusted(store, code)
    trust.allow(store, code, NOW)
    assert trust.is_trusted(store, trust.deck_code(path))
    path.write_text("# Mine\n\nchanged elsewhere\n")
    assert not trust.is_trusted(store, trust.deck_code(path)), "new content must ask again"
    path.write_text("# Mine\n")
    assert trust.is_trusted(store, trust.deck_code(path)), "the content said yes to is still trusted"


def test_same_content_elsewhere_is_asked_again(store, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("# X\n")
    b.write_text("# X\n")
    trust.allow(store, trust.deck_code(a), NOW)
    assert not trust.is_trusted(store, trust.deck_code(b))


def test_a_file_gistquiz_wrote_is_trusted_until_edited_elsewhere(store, tmp_path):
    path = tmp_path / "new.md"
    path.write_text("# New\n")
    trust.mark_written(store, path, "deck", NOW)
    assert trust.is_trusted(store, trust.deck_code(path))
    path.write_text("# New\nimport os\n")
    assert not trust.is_trusted(store, trust.deck_code(path))


def test_a_demos_digest_covers_the_modules_it_imports_from_its_folder(store, tmp_path):
    (tmp_path / "helpers.py").write_text("from deeper import k\n")
    (tmp_path / "deeper.py").write_text("k = 1\n")
    (tmp_path / "unrelated.py").write_text("x = 1\n")
    demo = tmp_path / "mine.py"
    demo.write_text("import numpy as np\nimport helpers\n")
    code = trust.demo_code(demo)
    assert [p.name for p in code.also] == ["deeper.py", "helpers.py"]
    trust.allow(store, code, NOW)
    (tmp_path / "unrelated.py").write_text("x = 2\n")
    assert trust.is_trusted(store, trust.demo_code(demo)), "a module it does not import changes nothing"
    (tmp_path / "deeper.py").write_text("k = 2\n")
    assert not trust.is_trusted(store, trust.demo_code(demo)), "a module it imports (indirectly) changed"


def test_the_question_names_the_file_and_says_what_the_code_can_do(tmp_path):
    path = tmp_path / "mine.md"
    path.write_text("# Mine\n")
    code = trust.deck_code(path)
    cut = trust.question(code, network_dropped=True)
    assert str(path) in cut and "read and write your files" in cut and "network is cut off" in cut
    assert "cannot cut off its network" in trust.question(code, network_dropped=False)


def test_the_record_survives_a_restart_and_an_old_store_gains_the_table(tmp_path):
    path = tmp_path / "mine.md"
    path.write_text("# Mine\n")
    with Store(tmp_path / "db.sqlite3") as s:
        trust.allow(s, trust.deck_code(path), NOW)
    with Store(tmp_path / "db.sqlite3") as s:
        assert trust.is_trusted(s, trust.deck_code(path))
    # a store from before the table: migrating adds it, empty
    old = tmp_path / "old.sqlite3"
    with Store(old):
        pass
    db = sqlite3.connect(old)
    db.execute("DROP TABLE trusted_code")
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(TABLES_SINCE["trusted_code"] - 1),))
    db.commit()
    db.close()
    with Store(old) as s:
        assert not trust.is_trusted(s, trust.deck_code(path))
