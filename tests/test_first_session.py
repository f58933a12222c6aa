"""Small things a newcomer meets (issue 16, point 5): home at 60×20, reload's answer, an unclosed cloze, the
forecast's dates. Screens are driven through the keys their bars show, at the sizes the learner used."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from gistquiz.deck import parse_deck
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.home import HomeScreen
from gistquiz.ui.screens.stats import StatsScreen, day_axis, forecast_bars
from gistquiz.workspace import Workspace

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LONG = "# Deep learning: the gist, from convolutional networks to sequence models\n\n" + "".join(
    f"## Question {i}?\n\nAnswer {i}.\n\n" for i in range(1, 13)
)
BROKEN = "# Broken\n\n## Q\nfoo: bar\n\nA\n"


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "gist.md").write_text(LONG)
    (folder / "broken.md").write_text(BROKEN)
    return folder


@pytest.fixture
def app(gistquiz_home: Path, decks: Path) -> GistQuizApp:
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    return GistQuizApp(Workspace(gistquiz_home, [decks]), clock=lambda: T0)


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def screen_lines(app) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def bar_key(screen, action: str) -> str:
    """The key the footer shows for ``action``."""
    return next(k for k, b in screen.active_bindings.items() if b.binding.show and b.binding.action == action)


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_home_keeps_due_and_total_on_screen_and_the_long_deck_name_gives_way(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, HomeScreen)
        lines = screen_lines(app)
        at = next(i for i, line in enumerate(lines) if "Deck" in line and "New" in line)
        assert "Due" in lines[at] and "Total" in lines[at]
        row = next(line for line in lines[at:] if "Deep learning" in line)
        assert row.split()[-1] == "12"  # the total, the last column, is drawn
        broken = next(line for line in lines[at:] if "Broken" in line)
        assert "! 1 problem(s)" in broken  # the problem count is never the part cut off
        table = app.screen.query_one("#decks")
        assert table.max_scroll_x == 0 and app.screen.region.contains_region(table.region)


async def test_reload_says_how_many_decks_and_cards_and_the_problems(app, decks):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        home = app.screen
        reload_key = bar_key(home, "reload")
        (decks / "more.md").write_text("# More\n\n## One?\n\nOne.\n")
        await pilot.press(reload_key)
        await settle(pilot, app)
        said = home.query_one("#reloaded", Static)
        assert str(said.render()) == "Reloaded 3 deck(s), 13 card(s): 1 problem(s), listed below."
        assert home.region.contains_region(said.region)
        (decks / "broken.md").write_text("# Broken\n\n## Q\n\nA\n")
        await pilot.press(reload_key)
        await settle(pilot, app)
        assert str(said.render()) == "Reloaded 3 deck(s), 14 card(s): no problems."


def test_an_unclosed_cloze_is_called_unclosed_with_its_line_and_column():
    text = "# C\n\n## Parts of a CNN\n\nA CNN stacks {{c1::convolution} and {{c2::pooling}} layers.\n"
    errors = parse_deck(text, "c.md", known_demos=set()).errors
    assert [str(e) for e in errors] == [
        "c.md:5: cloze '{{c1::convolution}' (column 14) is not closed: end it with '}}'"
    ]
    # without even one brace it cannot be told from a nested cloze: the message names both
    text = text.replace("convolution}", "convolution")
    (error,) = parse_deck(text, "c.md", known_demos=set()).errors
    assert "nested clozes are not supported" in str(error) and "'{{c1::convolution and' at column 14" in str(error)


def test_the_forecast_axis_is_dated_every_week():
    axis = day_axis(date(2026, 3, 2), 30)
    assert axis.split() == ["╵Mar", "2", "╵Mar", "9", "╵Mar", "16", "╵Mar", "23", "╵Mar", "30"]
    assert axis.index("╵Mar 9") == 14  # two cells a day: the mark sits under its day's bar
    assert day_axis(date(2026, 12, 28), 10).split()[-2:] == ["╵Jan", "4"]
    assert "busiest: Mar 4 (5)" in forecast_bars([1, 0, 5, 2], date(2026, 3, 2)).plain


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_stats_screen_labels_the_forecast_with_dates_and_fits_its_width(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        await pilot.press(bar_key(app.screen, "stats"))
        await settle(pilot, app)
        assert isinstance(app.screen, StatsScreen)
        forecast = app.screen.query_one("#stats-forecast", Static)
        shown = str(forecast.render())
        today = T0.astimezone().date()
        assert f"╵{today:%b} {today.day}" in shown and "day 0 1 2" not in shown
        # no line wraps: the bars and their dates stay in columns
        assert max(len(line) for line in shown.splitlines()) <= forecast.content_region.width
        days = int(shown.split("next ")[1].split()[0])
        assert days == 30 if size[0] >= 80 else 20 <= days < 30  # as many days as fit


async def test_the_collector_paused_for_the_start_runs_again_once_home_has_painted(app):
    import gc

    gc.disable()  # as cli.cmd_app leaves it while Textual and the first screen load
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert gc.isenabled() and gc.get_freeze_count() > 0  # what the start made, frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_app_command_turns_the_collector_back_on_even_when_the_app_fails(monkeypatch, gistquiz_home):
    import gc
    import sys

    from gistquiz import cli

    seen = []

    def run(self):
        seen.append(gc.isenabled())
        raise RuntimeError("the app died")

    monkeypatch.setattr(GistQuizApp, "run", run)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    with pytest.raises(RuntimeError):
        cli.cmd_app(cli.app_parser().parse_args([]))
    assert seen == [False] and gc.isenabled()


async def test_home_loads_its_decks_once_from_its_first_idle_and_again_on_r(app, monkeypatch):
    loads = []
    real = HomeScreen.load

    def counted(self, reload: bool = True):
        loads.append(reload)
        return real(self, reload)

    monkeypatch.setattr(HomeScreen, "load", counted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        home = app.screen
        assert isinstance(home, HomeScreen) and home.load_started
        assert home.query_one("#decks", DataTable).row_count > 0
        await pilot.pause(0.1)  # idle again and again: no second load
        assert loads == [True]
        await pilot.press("r")
        await settle(pilot, app)
        assert loads == [True, True]
