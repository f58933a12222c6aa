"""Editing a card's section (the in-app editor's file logic): bounds, hash check, careful atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gistquiz.deck import read_deck
from gistquiz.deck_edit import EditError, open_section, save_section

DECK = """# Test deck

## What is 2+2?
4

## Fenced heading card
```
## not a card
```

## Last card
back
"""


def test_section_runs_from_the_heading_to_the_next_card_skipping_fenced_headings(write_deck):
    path = write_deck(DECK)
    lines = [c.line for c in read_deck(path).cards]
    assert lines == [3, 6, 11]
    mid = open_section(str(path), 6)
    assert mid.text == "## Fenced heading card\n```\n## not a card\n```\n\n"
    assert mid.head + mid.text + mid.tail == DECK
    last = open_section(str(path), 11)
    assert last.text == "## Last card\nback\n" and last.tail == ""


def test_save_replaces_only_the_section(write_deck):
    path = write_deck(DECK)
    opened = open_section(str(path), 3)
    saved = save_section(opened, "## What is 3+3?\n6\n\n")
    assert saved.changed
    assert path.read_text() == DECK.replace("What is 2+2?\n4", "What is 3+3?\n6")
    assert [c.front for c in saved.deck.cards][0] == "What is 3+3?"


def test_missing_final_newline_does_not_join_the_next_heading(write_deck):
    path = write_deck(DECK)
    save_section(open_section(str(path), 3), "## Q?\nA")
    assert "A\n## Fenced heading card" in path.read_text()
    assert len(read_deck(path).cards) == 3


def test_bom_crlf_and_mode_are_kept(tmp_path: Path):
    path = tmp_path / "deck.md"
    path.write_bytes(b"\xef\xbb\xbf" + DECK.replace("\n", "\r\n").encode())
    path.chmod(0o640)
    opened = open_section(str(path), 3)
    assert opened.text == "## What is 2+2?\n4\n\n"  # the editor sees plain newlines
    save_section(opened, "## What is 5+5?\n10\n\n")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# Test deck\r\n")
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    assert b"What is 5+5?\r\n10\r\n" in data
    assert (path.stat().st_mode & 0o777) == 0o640


def test_writes_through_a_symlink_to_its_target(tmp_path: Path):
    real = tmp_path / "real" / "deck.md"
    real.parent.mkdir()
    real.write_text(DECK)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    save_section(open_section(str(link), 11), "## Last card\nnew back\n")
    assert link.is_symlink()
    assert "new back" in real.read_text()
    assert sorted(p.name for p in real.parent.iterdir()) == ["deck.md"]  # no temp file left


def test_refuses_when_the_file_changed_since_it_was_opened(write_deck):
    path = write_deck(DECK)
    opened = open_section(str(path), 3)
    path.write_text(DECK + "\n## Added elsewhere\nx\n")
    with pytest.raises(EditError, match="changed since the editor opened it"):
        save_section(opened, "## What is 3+3?\n6\n")
    assert "Added elsewhere" in path.read_text() and "3+3" not in path.read_text()


def test_parse_error_in_the_section_leaves_the_file_as_it_was(write_deck):
    path = write_deck(DECK)
    before = path.read_bytes()
    opened = open_section(str(path), 3)
    with pytest.raises(EditError, match=r"deck\.md:3: .*empty front"):
        save_section(opened, "## \nno front\n\n")
    with pytest.raises(EditError, match=r"deck\.md:4: "):
        save_section(opened, "## Q?\ntype: nonsense\nA\n\n")
    assert path.read_bytes() == before


def test_errors_elsewhere_in_the_file_do_not_block_a_save(write_deck):
    broken = DECK + "\n## \nempty front below\n"
    path = write_deck(broken)
    assert read_deck(path).errors
    save_section(open_section(str(path), 3), "## What is 3+3?\n6\n\n")
    assert "3+3" in path.read_text()


def test_a_line_that_is_no_longer_a_card_is_refused(write_deck):
    path = write_deck(DECK)
    with pytest.raises(EditError, match=r"deck\.md:4: no card starts on this line"):
        open_section(str(path), 4)


def test_unchanged_text_writes_nothing(write_deck):
    path = write_deck(DECK)
    ino = os.stat(path).st_ino
    opened = open_section(str(path), 6)
    assert not save_section(opened, opened.text).changed
    assert os.stat(path).st_ino == ino


def test_failed_write_leaves_the_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "deck.md"
    path.write_text(DECK)
    opened = open_section(str(path), 3)

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(EditError, match="cannot write: No space left on device; nothing was changed"):
        save_section(opened, "## Q?\nA\n")
    assert path.read_text() == DECK and [p.name for p in tmp_path.iterdir()] == ["deck.md"]
