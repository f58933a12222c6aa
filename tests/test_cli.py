"""The command line, run as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gistquiz.cli import app_parser, build_parser, cmd_app, cmd_decks, cmd_stats, main, opens_the_app

ROOT = Path(__file__).resolve().parents[1]

DECK = """\
# Tiny

## What is 2 + 2?
id: two

4

## Capital of France?
type: typed

Paris

## Which is a prime?

- [ ] 4
- [x] 7
"""


def gq(*args: str, input: str | None = None, home: Path | None = None, cwd: Path | None = None):
    env = dict(os.environ)
    if home is not None:
        env["GISTQUIZ_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "gistquiz", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )


@pytest.fixture
def tiny(tmp_path):
    folder = tmp_path / "mydecks"
    folder.mkdir()
    (folder / "tiny.md").write_text(DECK)
    return folder


def test_help_lists_every_command():
    out = gq("--help")
    assert out.returncode == 0
    for command in ("decks", "check", "review", "stats", "rebuild", "demo", "import-notes", "new-deck"):
        assert command in out.stdout


def test_every_command_is_dispatched_by_its_own_handler():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        assert callable(sub.get_default("handler")), name
    assert parser.parse_args([]).handler is cmd_app  # no command: the app
    assert parser.parse_args(["--home", "x"]).handler is cmd_app
    assert parser.parse_args(["decks", "--home", "x"]).handler is cmd_decks
    assert parser.parse_args(["stats", "tiny"]).handler is cmd_stats
    assert parser.parse_args(["import", "a.apkg"]).handler.__module__ == "gistquiz.interop.commands"
    assert parser.parse_args(["new-deck", "Algebra"]).handler.__module__ == "gistquiz.notes_import.commands"


def test_help_imports_nothing_heavy():
    code = (
        "import sys\nfrom gistquiz.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'numpy', 'sklearn', 'nltk', 'textual', 'fsrs', 'sqlite3'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_check_clean_deck_exits_0(tiny):
    out = gq("check", str(tiny / "tiny.md"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "1 deck, 3 cards, 0 problems"


def test_check_prints_path_line_message_and_exits_1(tmp_path, tiny):
    bad = tmp_path / "bad.md"
    bad.write_text("# Bad\n\n## Q\nfoo: 1\n\nA\n\n## R\n\n- [ ] a\n- [ ] b\n")
    out = gq("check", str(bad), str(tiny))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert f"{bad}:4: unknown metadata key 'foo'" in lines[0]
    assert lines[1].startswith(f"{bad}:8: multiple choice has no correct option")
    assert lines[-1] == "2 decks, 3 cards, 2 problems"


def test_check_bad_usage_exits_2():
    out = gq("check", "--no-such-option")
    assert out.returncode == 2 and "usage:" in out.stderr


def test_check_missing_file_is_a_problem_not_a_traceback(tmp_path):
    out = gq("check", str(tmp_path / "nope.md"))
    assert out.returncode == 1
    assert f"{tmp_path / 'nope.md'}: no such file or folder" in out.stdout
    assert "Traceback" not in out.stderr


def test_broken_deck_does_not_stop_the_others(tmp_path, tiny):
    (tiny / "broken.md").write_bytes(b"\xff\xfd not utf-8")
    out = gq("decks", "--decks", str(tiny), home=tmp_path / "home")
    assert out.returncode == 0
    assert "Tiny" in out.stdout and "3" in out.stdout
    assert "broken.md:1: not UTF-8 text" in out.stderr


def test_plain_review_reads_answers_from_a_pipe_and_commits_them(tmp_path, tiny):
    home = tmp_path / "home"
    # card 1: reveal, Good; card 2 (typed): answer 'pariss' (a typo), accept suggestion; card 3: pick, rate 4
    out = gq("review", "tiny", "--plain", "--decks", str(tiny), input="\n3\npariss\n\nb\n4\n", home=home)
    assert out.returncode == 0, out.stderr
    assert "What is 2 + 2?" in out.stdout and "right: expected 'Paris'" in out.stdout
    assert "1 Again" in out.stdout and "3 Good 10m" in out.stdout
    stats = json.loads(gq("stats", "tiny", "--json", "--decks", str(tiny), home=home).stdout)
    assert stats["reviews_total"] == 3
    assert stats["by_state"]["learning"] == 2 and stats["by_state"]["review"] == 1


def test_plain_review_undo_and_quit(tmp_path, tiny):
    home = tmp_path / "home"
    out = gq("review", "tiny", "--plain", "--decks", str(tiny), input="\n3\n\nu\n\n1\n", home=home)
    assert "undid the answer (Good)" in out.stdout
    stats = json.loads(gq("stats", "--json", "--decks", str(tiny), home=home).stdout)
    assert stats["reviews_total"] == 1


def test_plain_review_q_at_a_typed_prompt_quits_at_once(tmp_path, tiny):
    home = tmp_path / "home"
    # card 1: reveal, Good; card 2 (typed): q quits there, before a second q could be read
    out = gq("review", "tiny", "--plain", "--decks", str(tiny), input="\n3\nq\nq\n", home=home)
    assert out.returncode == 0, out.stderr
    assert "Capital of France?" in out.stdout and "not quite" not in out.stdout
    assert out.stdout.count("your answer") == 1 and "[1-4] rate" not in out.stdout.split("Capital of France?")[1]
    stats = json.loads(gq("stats", "tiny", "--json", "--decks", str(tiny), home=home).stdout)
    assert stats["reviews_total"] == 1


def test_review_of_unknown_deck_is_one_line_exit_2(tmp_path):
    out = gq("review", "nosuchdeck", "--plain", home=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("gistquiz: no deck named 'nosuchdeck'")
    assert "Traceback" not in out.stderr


def test_bad_settings_file_is_one_line_exit_2(tmp_path):
    (tmp_path / "settings.toml").write_text("desired_retention = 2\n")
    out = gq("stats", home=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "desired_retention" in out.stderr


def test_home_option_overrides_the_environment(tmp_path, tiny):
    a, b = tmp_path / "a", tmp_path / "b"
    gq("review", "--plain", "--decks", str(tiny), "--home", str(b), input="\n3\nq\n", home=a)
    assert (b / "gistquiz.sqlite3").exists() and not (a / "gistquiz.sqlite3").exists()


def test_stats_json_has_the_documented_fields(tmp_path):
    out = gq("stats", "--json", home=tmp_path)
    data = json.loads(out.stdout)
    for key in ("by_state", "reviews_per_day", "true_retention", "forecast", "leeches", "retention_by_month"):
        assert key in data
    assert len(data["forecast"]) == 14


def test_rebuild_reports_nothing_changed_on_a_fresh_log(tmp_path, tiny):
    gq("review", "--plain", "--decks", str(tiny), input="\n3\n\n\nq\n", home=tmp_path)
    out = gq("rebuild", home=tmp_path)
    assert out.returncode == 0 and out.stdout.strip().endswith("changed 0")


def test_demo_list_and_unknown_demo(tmp_path):
    out = gq("demo", "list", home=tmp_path)
    assert out.returncode == 0
    out = gq("demo", "no_such_demo", home=tmp_path)
    assert out.returncode == 2 and "unknown demo 'no_such_demo'" in out.stderr


def test_app_without_a_terminal_says_so(tmp_path):
    out = gq(home=tmp_path)
    assert out.returncode == 2 and "needs a terminal" in out.stderr


@pytest.mark.parametrize(
    "argv",
    [[], ["--home", "H"], ["--home=H"], ["--decks", "D", "--decks", "E"], ["--home", "H", "--decks=D"]],
)
def test_a_command_line_that_only_opens_the_app_parses_as_the_full_parser_does(argv):
    assert opens_the_app(argv)
    ours, full = app_parser().parse_args(argv), build_parser().parse_args(argv)
    assert ours.handler is full.handler is cmd_app
    assert {k: v for k, v in vars(ours).items()} == {k: v for k, v in vars(full).items() if k != "command"}


@pytest.mark.parametrize(
    "argv", [["--help"], ["-h"], ["--version"], ["--home"], ["decks"], ["--home", "H", "check"], ["--homes=H"]]
)
def test_anything_else_goes_to_the_full_parser(argv):
    assert not opens_the_app(argv)


def test_main_returns_exit_codes_in_process(tmp_path, tiny, capsys):
    assert main(["check", str(tiny)]) == 0
    assert main(["check", str(tmp_path / "missing")]) == 1


def test_check_lists_leeches_without_calling_them_problems(tmp_path, tiny):
    from datetime import UTC, datetime

    from gistquiz.scheduler import State
    from gistquiz.store import Store

    now = datetime(2026, 3, 1, tzinfo=UTC)
    with Store(tmp_path / "gistquiz.sqlite3") as store:
        leech = lambda s: s._replace(state=State.REVIEW, lapses=8, leech=True, suspended=True, due=now)  # noqa: E731
        store.answer("tiny:two", "tiny", 1, now, leech)
    out = gq("check", "--decks", str(tiny), home=tmp_path)
    assert out.returncode == 0
    assert f"{tiny / 'tiny.md'}:3: leech, 8 lapses, suspended: What is 2 + 2?" in out.stdout
    assert out.stdout.splitlines()[-1].endswith("0 problems, 1 leech")


def test_a_damaged_review_database_is_one_line_not_a_traceback(tmp_path):
    (tmp_path / "gistquiz.sqlite3").write_bytes(b"not a database at all" * 50)
    out = gq("stats", home=tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith("gistquiz: ") and "cannot open the review database" in out.stderr
    assert "Traceback" not in out.stderr
