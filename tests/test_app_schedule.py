"""The app's own fit (stats screen, ``f``): a child process fits, Esc ends it, and nothing is written until the
learner says so. Driven with Textual's Pilot at 80x24 on a synthetic learner's data folder (see
``synthetic_learner.py``), the fit being the real one (fsrs-rs in the child process)."""

from __future__ import annotations

import json
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from synthetic_learner import T0, WEAK_MEMORY, make_home, utc_zone
from textual.widgets import Static

from gistquiz import fit_job
from gistquiz.selection import Selection
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.fit import FitScreen
from gistquiz.ui.screens.stats import StatsScreen
from gistquiz.workspace import Workspace

END = T0 + timedelta(days=40, hours=2)


@pytest.fixture(scope="module", autouse=True)
def utc_local_time():
    with utc_zone():  # the child inherits TZ=UTC: its study days are the learner's
        yield


@pytest.fixture(scope="module")
def studied(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fit") / "home"
    make_home(root, WEAK_MEMORY, cards=200, days=40, new_per_day=15)
    return root


def open_app(home: Path) -> GistQuizApp:
    return GistQuizApp(Workspace(home), clock=lambda: END)


def stored(home: Path):
    ws = Workspace.open(home)
    try:
        return ws.store.parameter_events(), ws.store.states()
    finally:
        ws.close()


async def open_fit(app: GistQuizApp, pilot) -> FitScreen:
    await pilot.pause()
    app.push_screen(StatsScreen(Selection.every_deck()))
    await pilot.pause()
    await pilot.press("f")
    await pilot.pause()
    assert isinstance(app.screen, FitScreen)
    return app.screen


async def until(pilot, condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.fixture
def home(studied, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(studied, copy)
    return copy


async def test_fit_then_confirm_applies_the_fitted_parameters(home):
    before, _ = stored(home)
    app = open_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_fit(app, pilot)
        await until(pilot, lambda: screen.result is not None)
        report = text(screen, "#fit-text")
        assert "log loss" in report and "cards due today" in report and "minutes per day" in report
        assert "w20" in report  # every parameter, old and new
        await pilot.press("f")
        await until(pilot, lambda: not isinstance(app.screen, FitScreen))
        # The app schedules with the new parameters from now on.
        assert None in app.workspace.scheduler.parameters
    after, _ = stored(home)
    assert before == [] and len(after) == 1
    assert json.loads(after[0][4])["parameters"] == screen.result["events"][0]["parameters"]


async def test_fit_then_decline_changes_nothing(home):
    before = stored(home)
    app = open_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_fit(app, pilot)
        await until(pilot, lambda: screen.result is not None)
        assert screen.query_one("#apply-future").display
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, FitScreen)
        assert app.workspace.scheduler.parameters == {}
    assert stored(home) == before


async def test_escape_during_the_fit_ends_the_child_and_changes_nothing(home, monkeypatch):
    command = fit_job.Job.command
    monkeypatch.setattr(fit_job.Job, "command", lambda self: [*command(self), "--hold", "60"])
    before = stored(home)
    app = open_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_fit(app, pilot)
        await until(pilot, lambda: "reading your review log" in text(screen, "#fit-phase"))
        proc = screen.job.proc
        assert proc is not None and proc.poll() is None  # the child is fitting (held after its first phase)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FitScreen)
        await until(pilot, lambda: proc.poll() is not None, seconds=5)
    assert stored(home) == before


async def test_too_few_reviews_say_how_many_are_needed(tmp_path):
    root = tmp_path / "home"
    make_home(root, WEAK_MEMORY, cards=20, days=10, new_per_day=10)
    before = stored(root)
    app = open_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_fit(app, pilot)
        await until(pilot, lambda: screen.result is not None)
        message = text(screen, "#fit-phase")
        assert "Not enough history" in message and "400 needed" in message
        assert not screen.query_one("#apply-future").display
        await pilot.press("f")  # nothing to apply: the key does nothing
        await pilot.pause()
        assert isinstance(app.screen, FitScreen)
        await pilot.press("escape")
    assert stored(root) == before


# ----------------------------------------------------------------- what each retention costs, on the stats screen


async def test_the_retention_plot_lies_inside_the_screen_at_80x24_and_shows_the_simulation(studied, capsys):
    from gistquiz.cli import main

    main(["simulate", "--home", str(studied), "--json"])
    table = json.loads(capsys.readouterr().out)
    app = open_app(studied)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(StatsScreen(Selection.every_deck()))
        await pilot.pause()
        screen = app.screen
        await until(pilot, lambda: "◀ now" in text(screen, "#stats-costs"))
        await pilot.pause()
        plot = screen.query_one("#stats-costs", Static)
        visible = screen.query_one("#stats").content_region
        assert visible.contains_region(plot.region), (plot.region, visible)  # whole, without scrolling
        lines = text(screen, "#stats-costs").splitlines()
        assert max(len(line) for line in lines) <= plot.region.width  # no line wraps or is cut
        rows = {r["retention"]: r for r in table["rows"]}
        now = next(line for line in lines if "◀ now" in line)
        assert now.split()[0] == f"{table['current']:.2f}"
        assert f"{rows[table['current']]['minutes_per_day']:.1f}" in now
        assert f"{rows[table['current']]['remembered']:.0f}" in now
        best = next(line for line in lines if "★" in line and "most" not in line)
        assert best.split()[0] == f"{table['best']:.2f}"


def test_bars_are_proportional_and_never_wider_than_asked():
    from gistquiz.ui.screens.stats import bar, retention_costs

    assert bar(1.0, 10) == "█" * 10 and bar(0.0, 10) == " " * 10 and bar(0.5, 10) == "█████     "
    assert bar(0.0625, 4) == "▎   "  # 0.25 of a cell: two eighths
    rows = [{"retention": r, "minutes_per_day": 100 * r, "remembered": 9999.0} for r in (0.7, 0.9)]
    table = {"rows": rows, "current": 0.9, "best": 0.9, "cards": 10, "days": 365, "parameters": "defaults"}
    for width in (60, 76, 120):
        assert max(len(line) for line in retention_costs(table, width).plain.splitlines()) <= width


# ----------------------------------------------------------------- predicted recall in browse


def closed_form_recall(w, stability: float, days: int) -> float:
    """FSRS-6's forgetting curve: R(t) = (1 + F t / S)^-w20, F = 0.9^(-1/w20) - 1 (so that R(S) = 0.9)."""
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    return (1 + factor * days / stability) ** decay


@pytest.mark.parametrize("parameters", [None, WEAK_MEMORY])
def test_the_schedulers_recall_is_fsrs_closed_form_in_study_days(parameters):
    import fsrs

    from gistquiz.scheduler import CardState, Scheduler, State
    from gistquiz.settings import Settings

    w = parameters or fsrs.scheduler.DEFAULT_PARAMETERS
    scheduler = Scheduler(Settings(), {None: parameters} if parameters else None)
    last = T0.replace(hour=23)  # study day of T0 (the day starts at 04:00 UTC)
    for hours, days in [(3, 0), (6, 1), (24 * 6 + 6, 7), (24 * 40, 40)]:  # 6 h later is the next study day
        card = CardState("k", "d", State.REVIEW, stability=3.7, difficulty=5.0, due=last, last_review=last)
        got = scheduler.retrievability(card, last + timedelta(hours=hours))
        assert got == pytest.approx(closed_form_recall(w, 3.7, days), rel=1e-9)


async def test_browse_shows_each_cards_predicted_recall(home):
    from textual.widgets import DataTable

    from gistquiz.scheduler import study_days_between

    app = open_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query("#results") and app.screen.found)
        screen = app.screen
        table = screen.query_one("#results", DataTable)
        states = app.workspace.store.states()
        checked = 0
        for i, card in enumerate(screen.found[:50]):
            s = states[card.key]
            days = study_days_between(s.last_review, END, 4)
            expected = closed_form_recall(fsrs_defaults(), s.stability, days)
            assert table.get_row_at(i)[4] == f"{expected:.0%}", card.key
            checked += 1
        assert checked == 50
        # The column is in view at 80 columns.
        x = sum(col.get_render_width(table) for col in list(table.columns.values())[:5])
        assert x <= table.region.width


def fsrs_defaults():
    import fsrs

    return fsrs.scheduler.DEFAULT_PARAMETERS


# ----------------------------------------------------------------- the child's result, applied


def test_a_fit_is_not_applied_when_the_log_changed_since(home):
    from gistquiz.scheduler import Rating
    from gistquiz.session import Session

    result = fit_job.run_fit(home, END, 200)
    assert result["events"]  # a better fit, ready to apply
    ws = Workspace.open(home)
    try:
        cards = list(ws.library.cards())
        session = Session(cards, ws.store, ws.scheduler, clock=lambda: END)
        session.answer(session.next(), Rating.GOOD)  # answered while the fit ran (in another window, say)
        before = ws.store.parameter_events(), ws.store.states()
        with pytest.raises(fit_job.StaleFit, match="fit again"):
            fit_job.apply(ws.store, result, "future")
        assert (ws.store.parameter_events(), ws.store.states()) == before
        # Fitted again on the log as it is now, it applies.
        assert fit_job.apply(ws.store, fit_job.run_fit(home, END, 200), "future")
    finally:
        ws.close()
