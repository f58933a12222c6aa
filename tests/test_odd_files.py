"""Odd files in a decks folder: FIFOs, dangling links, loops, folders named like decks, UTF-16/32 files."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "# Good\n\n## Question\n\nAnswer\n"


def gq(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GISTQUIZ_HOME": str(home)}
    # The timeout turns a hang (a FIFO opened for reading waits for a writer forever) into a failure.
    return subprocess.run(
        [sys.executable, "-m", "gistquiz", *args], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "decks").mkdir(parents=True)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    (home / "decks" / "good.md").write_text(GOOD)
    return home


def odd_files(folder: Path) -> dict[str, str]:
    """Make one of each odd kind in ``folder``; returns name -> the message expected for it."""
    os.mkfifo(folder / "f.md")
    (folder / "dangling.md").symlink_to(folder / "gone.md")
    (folder / "loop.md").symlink_to(folder / "loop.md")
    (folder / "x.md").mkdir()
    return {
        "f.md": "not a regular file",
        "dangling.md": f"a symbolic link to {folder / 'gone.md'}, which does not exist",
        "loop.md": "a symbolic link loop (the link leads back to itself)",
        "x.md": "a folder, not a deck file",
    }


def test_a_fifo_is_never_opened_and_is_one_line(home: Path):
    folder = home / "decks"
    os.mkfifo(folder / "f.md")
    expected = f"{folder / 'f.md'}: not a regular file"
    for args in (("check", str(folder)), ("check", str(folder / "f.md")), ("check",)):
        out = gq(*args, home=home)
        assert out.returncode == 1
        assert expected in out.stdout.splitlines(), out.stdout
        assert "1 problem" in out.stdout.splitlines()[-1]
    decks = gq("decks", home=home)
    assert decks.returncode == 0 and decks.stderr.splitlines() == [expected]


def test_decks_and_check_report_the_same_odd_files(home: Path):
    folder = home / "decks"
    expected = {f"{folder / name}: {message}" for name, message in odd_files(folder).items()}
    check = gq("check", home=home)
    assert check.returncode == 1
    assert set(check.stdout.splitlines()[:-1]) == expected
    assert check.stdout.splitlines()[-1] == "5 decks, 1 cards, 4 problems"
    decks = gq("decks", home=home)
    assert set(decks.stderr.splitlines()) == expected
    assert "good.md" in decks.stdout  # the good deck still loads


def test_check_on_a_folder_without_decks_says_so(home: Path):
    empty = home / "x.md"
    empty.mkdir()
    out = gq("check", str(empty), home=home)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [f"{empty}: no deck files (*.md) in this folder", "1 deck, 0 cards, 1 problem"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_utf16_or_utf32_deck_is_named_with_how_to_convert_it(home: Path, encoding: str):
    path = home / "decks" / "wide.md"
    data = GOOD.replace("Good", "Wide").encode(encoding)
    if encoding.endswith("-be"):  # Python writes the big-endian codecs without a byte-order mark
        data = ("\ufeff" + GOOD.replace("Good", "Wide")).encode(encoding)
    path.write_bytes(data)
    name = encoding.upper()[:6]
    from gistquiz.library import bom_problem

    error = bom_problem(path)
    assert error is not None and error.line == 1
    assert str(error).startswith(f"{path}:1: {name} text (it starts with a {name} byte-order mark), not UTF-8")
    command = str(error).split("convert it: ", 1)[1]
    assert command.startswith(f"iconv -f {name} -t UTF-8 {shlex.quote(str(path))} > ")
    out = gq("check", home=home)
    assert str(error) in out.stdout.splitlines() and out.returncode == 1
    if shutil.which("iconv"):  # the advice works: after it, the deck loads
        subprocess.run(["sh", "-c", command], check=True)
        out = gq("check", home=home)
        assert out.returncode == 0, out.stdout
        assert "2 decks, 2 cards, 0 problems" in out.stdout


def test_check_with_no_decks_at_all_says_why_it_fails(home: Path):
    (home / "decks" / "good.md").unlink()
    out = gq("check", home=home)
    assert (out.returncode, out.stdout) == (1, "no decks found; 'gistquiz new-deck NAME' writes one\n")
