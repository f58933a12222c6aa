"""The command line under any terminal encoding, a reader that goes away, a full disk, closed streams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gistquiz.textout import ascii_spelling

ROOT = Path(__file__).parents[1]
# Not Latin-1: the en dash and η in the title, Greek, CJK and arrows in fronts and backs.
DECK = """# Backprop – η, λ and 学习

## What does η stand for in w ← w − η∇L?

The learning rate η (eta): the step size.

## What is λ in L + λ‖w‖²?

The weight decay strength λ.

## Translate 学习

To learn → study.
"""


def gq(*args: str, home: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "GISTQUIZ_HOME": str(home), **(env or {})}
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "gistquiz", *args], env=env, **kw)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "decks").mkdir(parents=True)
    (home / "decks" / "greek.md").write_text(DECK, encoding="utf-8")
    (home / "settings.toml").write_text("bundled_decks = false\n")
    return home


LATIN1 = {"PYTHONIOENCODING": "iso-8859-1"}


def test_spellings_for_what_an_encoding_cannot_show():
    assert [ascii_spelling(c) for c in "→–ηΛéﬁ²学"] == ["->", "-", "eta", "Lambda", "e", "fi", "2", "?"]


def test_plain_review_under_latin1_saves_every_answer(home: Path):
    out = gq("review", "greek", "--plain", home=home, env=LATIN1, input=b"\n3\n" * 3)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode("iso-8859-1")
    assert "Backprop - eta, lambda and ??" in text
    assert "w <- w - etagradL" in text and "To learn -> study" in text
    stats = gq("stats", "--json", home=home)
    assert json.loads(stats.stdout)["reviews_total"] == 3


def test_decks_and_stats_under_latin1(home: Path):
    for args in (("decks",), ("stats",), ("check",)):
        out = gq(*args, home=home, env=LATIN1)
        assert out.returncode == 0, out.stderr
        assert b"Traceback" not in out.stderr
    assert "Backprop - eta, lambda and ??" in gq("decks", home=home, env=LATIN1).stdout.decode("iso-8859-1")


def test_a_demo_report_under_latin1(home: Path):
    out = gq("demo", "bleu", home=home, env=LATIN1)
    assert out.returncode == 0, out.stderr
    assert b"an exact copy scores 1.00" in out.stdout
    assert b"+-----" in out.stdout  # the plot's frame in ASCII


def closed_pipe_run(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader is already gone: ``| head -0``, without the race of ``head -1``."""
    r, w = os.pipe()
    os.close(r)
    try:
        return gq(*args, home=home, stdout=w, stderr=subprocess.PIPE, input=b"\n3\n")
    finally:
        os.close(w)


@pytest.mark.parametrize(
    "args",
    [("review", "--plain"), ("demo", "bleu"), ("decks",), ("--help",), ("export", "greek", "--format", "tsv")],
    ids=" ".join,
)
def test_a_reader_that_went_away_ends_quietly_with_141(home: Path, args):
    out = closed_pipe_run(*args, home=home)
    assert (out.returncode, out.stderr) == (141, b"")


def test_review_piped_into_head_ends_quietly(home: Path):
    cmd = f"{sys.executable} -m gistquiz review --plain | head -1; echo status ${{PIPESTATUS[0]}}"
    env = {**os.environ, "GISTQUIZ_HOME": str(home)}
    out = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, input="\n3\n" * 3)
    assert out.stderr == ""
    assert out.stdout.splitlines()[-1] in ("status 141", "status 0")  # 0: it all fit in the pipe first


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    ("args", "who"),
    [
        (("decks",), "gistquiz"),
        (("stats",), "gistquiz"),
        (("review", "--plain"), "gistquiz"),
        (("demo", "bleu"), "bleu"),
    ],
    ids=["decks", "stats", "review", "demo"],
)
def test_a_full_disk_is_one_line_and_status_1(home: Path, args, who):
    with open("/dev/full", "w") as full:
        out = gq(*args, home=home, stdout=full, stderr=subprocess.PIPE, input=b"\n3\n")
    assert out.returncode == 1
    what = "report" if who == "bleu" else "output"
    assert out.stderr.decode().splitlines() == [f"{who}: cannot write the {what}: No space left on device"]


def with_closed(fd: str, *args: str, home: Path) -> subprocess.CompletedProcess:
    """Run gistquiz from a shell with ``<&-`` or ``>&-``."""
    cmd = f'exec "$0" -m gistquiz {" ".join(args)} {fd}&-'
    env = {**os.environ, "GISTQUIZ_HOME": str(home)}
    return subprocess.run(["sh", "-c", cmd, sys.executable], env=env, capture_output=True, text=True)


def test_a_closed_stdin_is_end_of_input(home: Path):
    out = with_closed("<", "review", "--plain", home=home)
    assert out.returncode == 0 and out.stderr == ""
    assert "What does η stand for" in out.stdout
    assert json.loads(gq("stats", "--json", home=home).stdout)["reviews_total"] == 0


def test_a_closed_stdout_is_one_line_and_status_1(home: Path):
    out = with_closed(">", "review", "--plain", home=home)
    assert (out.returncode, out.stderr) == (1, "gistquiz: cannot write the output: standard output is closed\n")
