"""Who may run an exercise's tests outside the app: ``review --plain`` asks on a terminal (a pipe cannot say
yes), and the files gistquiz writes itself (its editor, ``new-deck``) are trusted without asking.

The app's side is in ``test_app_exercise.py``; the trust record itself in ``test_trust.py``.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from test_exercise_review import RIGHT, Learner, exercise_note

from gistquiz import exercise, trust
from gistquiz.cli import main
from gistquiz.deck import parse_deck
from gistquiz.deck_edit import open_section, save_section
from gistquiz.library import load_paths
from gistquiz.locations import database_path, user_decks_dir
from gistquiz.plain_review import run_plain
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.settings import Settings
from gistquiz.store import Store

NOW = datetime(2026, 12, 6, tzinfo=UTC)
DECK = "# D\n\n" + exercise_note(1)
QUESTION = "It runs as you, like a notebook"


class Spy:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, ex, code, *args, **kwargs) -> exercise.Verdict:
        self.calls += 1
        return exercise.Verdict((exercise.TestResult("test_double", True),), network_isolated=True)


@pytest.fixture
def spy(monkeypatch) -> Spy:
    spy = Spy()
    monkeypatch.setattr(exercise, "grade", spy)
    monkeypatch.setattr(trust, "network_is_dropped", lambda: True)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    return spy


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


class Terminal(Learner):
    """Input lines typed by a person at a terminal."""

    def isatty(self) -> bool:
        return True


def review(store, path, steps, terminal: bool) -> str:
    library = load_paths([path])
    ws = SimpleNamespace(store=store, scheduler=Scheduler(Settings()), library=library)
    out = io.StringIO()
    run_plain(ws, library.decks[0].cards, "D", (Terminal if terminal else Learner)(out, steps), out)
    return out.getvalue()


def test_piped_input_cannot_say_yes_so_nothing_runs_and_the_card_can_still_be_rated(tmp_path, store, spy):
    path = tmp_path / "d.md"
    path.write_text(DECK)
    out = review(store, path, ["\n", "y\n", "r\n", "\n", "q\n"], terminal=False)
    assert QUESTION in out and str(path) in out
    assert "not run: the input is not a terminal" in out
    assert spy.calls == 0  # the child never started
    assert [r.rating for r in store.reviews()] == [Rating.AGAIN]  # revealed without passing: suggested Again
    assert not trust.is_trusted(store, trust.deck_code(path))


def test_a_terminal_is_asked_once_per_file_and_content(tmp_path, store, spy):
    path = tmp_path / "d.md"
    path.write_text(DECK)
    # each review quits before rating, so the card stays new and is shown again
    out = review(store, path, ["\n", "n\n", "q\n"], terminal=True)
    assert QUESTION in out and "not run (r reveals the solution)" in out and spy.calls == 0
    out = review(store, path, ["\n", "y\n", "q\n"], terminal=True)
    assert out.count(QUESTION) == 1 and spy.calls == 1
    out = review(store, path, ["\n", "q\n"], terminal=True)
    assert QUESTION not in out and spy.calls == 2
    path.write_text(DECK.replace("Return twice", "Return two times"))  # edited elsewhere
    out = review(store, path, ["\n", "n\n", "q\n"], terminal=True)
    assert QUESTION in out and spy.calls == 2
    assert store.reviews() == []


def test_a_bundled_deck_runs_in_the_plain_review_without_asking(store, spy):
    from gistquiz.locations import bundled_decks_dir

    path = bundled_decks_dir() / "gist-dl-exercises.md"
    out = review(store, path, ["\n", "\n", "q\n"], terminal=False)
    assert QUESTION not in out and spy.calls == 1


# ----------------------------------------------------------------- what gistquiz writes


def test_a_save_in_gistquizs_editor_trusts_the_file(tmp_path, store):
    path = tmp_path / "d.md"
    path.write_text("# D\n\n## Q\n\nA\n")
    opened = open_section(str(path), 3)
    save_section(opened, exercise_note(1), record=store, now=NOW)  # the learner wrote this exercise here
    assert trust.is_trusted(store, trust.deck_code(path))
    path.write_text(path.read_text() + "\nedited elsewhere\n")
    assert not trust.is_trusted(store, trust.deck_code(path))


def test_a_save_does_not_vouch_for_exercises_elsewhere_in_a_file_nobody_said_yes_to(tmp_path, store):
    path = tmp_path / "d.md"
    path.write_text(DECK + "\n## Q\n\nA\n")  # an exercise from elsewhere, never asked about
    line = DECK.count("\n") + 2
    save_section(open_section(str(path), line), "## Q\n\nA, fixed\n", record=store, now=NOW)
    assert "A, fixed" in path.read_text()
    assert not trust.is_trusted(store, trust.deck_code(path))
    trust.allow(store, trust.deck_code(path), NOW)  # now the learner says yes to it as it is
    save_section(open_section(str(path), line), "## Q\n\nA, fixed again\n", record=store, now=NOW)
    assert trust.is_trusted(store, trust.deck_code(path))


def test_new_deck_records_the_file_it_wrote(gistquiz_home, capsys):
    assert main(["new-deck", "Algebra"]) == 0
    path = user_decks_dir(gistquiz_home) / "algebra.md"
    with Store(database_path(gistquiz_home)) as store:
        assert trust.is_trusted(store, trust.deck_code(path))


def test_import_says_when_a_deck_holds_exercises(tmp_path):
    from gistquiz.interop.commands import _exercise_notes

    with_exercises, without = tmp_path / "a.md", tmp_path / "b.md"
    with_exercises.write_text("# A\n\n" + exercise_note(1) + exercise_note(2))
    without.write_text("# B\n\n## Q\n\nA\n")
    (line,) = _exercise_notes([with_exercises, without])
    assert line.startswith(f"note: {with_exercises} has 2 exercise cards") and "asks before" in line


def test_the_right_solution_in_the_shared_fixture_passes():
    """The spy stands in for ``grade`` above; the real grading of the same card passes the same code."""
    (card,) = parse_deck(DECK, "d.md").cards
    assert exercise.grade(card.exercise, RIGHT).passed


def test_tests_changed_on_disk_since_the_review_started_do_not_run(tmp_path, store, spy):
    path = tmp_path / "d.md"
    path.write_text(DECK)
    library = load_paths([path])
    path.write_text(DECK.replace("close(double(", "close(2 * double("))
    trust.allow(store, trust.deck_code(path), NOW)
    ws = SimpleNamespace(store=store, scheduler=Scheduler(Settings()), library=library)
    out = io.StringIO()
    run_plain(ws, library.decks[0].cards, "D", Terminal(out, ["\n", "q\n"]), out)
    assert "changed since the review started" in out.getvalue() and spy.calls == 0
