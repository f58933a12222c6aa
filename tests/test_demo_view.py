"""Reading a demo's result at 80×24 and 60×20 (issue 16, point 4), driven through the keys as a learner does.

The result shown is a real one: ``data/data_and_compute_result.json`` is what ``python demos/data_and_compute.py
--json`` printed (seed 0, default parameters); a fixture demo replays it, so that no test trains a CNN.
Layout tests compare widget regions with the screen, not only a picture.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widgets import Collapsible, DataTable, Static

from gistquiz.selection import Selection
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.demos import DemosScreen
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.ui.widgets.demo_result import fmt
from gistquiz.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RESULT = json.loads((Path(__file__).with_name("data") / "data_and_compute_result.json").read_text())


REAL_PARAMS = [  # data_and_compute's own parameter table (python demos/data_and_compute.py --help)
    ("points", 5, "training-set sizes, spaced evenly on a log scale up to all 1437 digits", 2, 10),
    ("min_size", 30, "the smallest training set", 10, 1437),
    ("epochs", 15, "passes over each training set (both models)", 1, 100),
    ("min_steps", 150, "at least this many SGD steps per model, so that small sets are trained too", 0, 5000),
    ("lr", 0.1, "peak SGD learning rate of the CNN", 0.0001, 2.0),
    ("linear_lr", 0.5, "peak SGD learning rate of the linear model", 0.0001, 10.0),
]


def demo_script(claim: str, param: str, report: str) -> str:
    """A demo that trains nothing: ``run`` returns the checked parameters, ``report`` says ``report``."""
    return (
        f'"""{claim}"""\n'
        "import json, sys\nfrom pathlib import Path\n"
        "from harness import Image, Param, Plot, Report, Result, Series, Table, main, takes\n\n"
        f"PARAMS = [{param}]\n\n\n@takes(PARAMS)\ndef run(p, seed, progress):\n    return Result()\n\n\n"
        f"def report(r):\n{textwrap.indent(textwrap.dedent(report), '    ')}\n\n"
        'if __name__ == "__main__":\n    raise SystemExit(main(sys.modules[__name__]))\n'
    )


REPLAY = demo_script(
    "A neural network pulls ahead of a linear model as the training set grows (a recorded run, replayed).",
    ", ".join(f"Param({n!r}, {d!r}, {h!r}, low={lo!r}, high={hi!r})" for n, d, h, lo, hi in REAL_PARAMS),
    """\
    d = json.loads(Path(__file__).with_name("recorded.json").read_text())
    return Report(
        headline=d["headline"], metrics=d["metrics"],
        series={k: Series(**s) for k, s in d["series"].items()},
        plots=[Plot(**p) for p in d["plots"]], tables=[Table(**t) for t in d["tables"]],
        images=[Image(**i) for i in d["images"]], notes=d["notes"],
    )""",
)
COUNT = demo_script(
    "Counting to n gives n.",
    'Param("n", 3, "how far to count", low=1, high=10)',
    'return Report(headline=f"counted to {r.params[\'n\']}", metrics={"n": r.params["n"]})',
)
DECK = textwrap.dedent(
    """\
    # Data

    ## Does more data beat a bigger model?
    id: sizes
    demo: sizes

    With little data a linear model wins; with more, the CNN pulls ahead.
    """
)


@pytest.fixture
def app(gistquiz_home: Path, tmp_path: Path) -> GistQuizApp:
    demos = tmp_path / "demos"
    demos.mkdir()
    for helper in ("harness.py", "textreport.py"):
        shutil.copy(ROOT / "demos" / helper, demos / helper)
    (demos / "sizes.py").write_text(REPLAY)
    (demos / "recorded.json").write_text(json.dumps(RESULT))
    (demos / "count.py").write_text(COUNT)
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "data.md").write_text(DECK)
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    return GistQuizApp(Workspace(gistquiz_home, [decks], demos_folder=demos), clock=lambda: T0)


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def inside(widget, area: Region) -> bool:
    return widget.region.height > 0 and area.contains_region(widget.region)


async def reveal_with_cached_result(pilot, app):
    await settle(pilot, app)
    app.workspace.demo_cache.save("data:sizes", "sizes", {"seed": 0}, RESULT, T0)
    app.open_review(Selection("Data", tuple(app.workspace.library.deck("data").cards)))
    await pilot.pause()
    await pilot.press("space")
    await settle(pilot, app)
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_claim_and_the_measured_headline_lead_the_result_on_the_first_screen(app, size):
    async with app.run_test(size=size) as pilot:
        screen = await reveal_with_cached_result(pilot, app)
        card = screen.query_one("#card")
        view = card.region.intersection(screen.region)
        claim, measured = screen.query_one(".lead-claim"), screen.query_one(".lead-measured")
        assert inside(claim, view) and view.contains(measured.region.x, measured.region.y)
        if size == (80, 24):
            assert inside(measured, view)  # at 60×20 the headline starts on the first screen
        assert claim.region.height == 1  # the claim on one line: the card above says it in full
        assert claim.region.y < measured.region.y
        assert RESULT["headline"] in str(measured.render())
        # then the plot; the tables, metrics and notes are folded away under one title
        plot = screen.query_one("ResultPlot")
        details = screen.query_one(Collapsible)
        assert measured.region.y < plot.region.y < details.region.y and details.collapsed
        assert "1 table(s)" in details.title and "notes" in details.title
        if size == (80, 24):
            assert plot.region.y < view.bottom  # the curve starts on the first screen
        # Home goes back to the question, not to the top of the demo box
        await pilot.press("pagedown", "pagedown", "home")
        await settle(pilot, app)
        assert inside(screen.query_one("#front"), view)


async def test_the_results_table_fits_80_columns_and_writes_numbers_as_the_headline_does(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await reveal_with_cached_result(pilot, app)
        details = screen.query_one(Collapsible)
        details.query_one("CollapsibleTitle").scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("CollapsibleTitle")
        await settle(pilot, app)
        assert not details.collapsed
        table = screen.query_one(".result-table", Static)
        assert screen.region.contains_region(Region(table.region.x, 0, table.region.width, 1))
        strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
        lines = ["".join(seg.text for seg in strip).rstrip() for strip in strips]
        text = "\n".join(lines)
        assert "…" not in text and max(map(len, lines)) <= table.size.width
        for column in RESULT["tables"][0]["columns"]:
            assert column in text
        first = RESULT["tables"][0]["rows"][0]  # 30 images: the CNN 80.0%, the linear model 82.5%
        assert "80.0%" in RESULT["headline"] and "82.5%" in RESULT["headline"]
        assert f"{first[2]:.1%}" == "80.0%" and "80.0%" in text and "82.5%" in text and "0.8 " not in text


def test_column_groups_repeat_the_first_column_and_each_group_fits():
    from gistquiz.ui.widgets.demo_result import column_groups

    widths = [6, 6, 8, 11, 8, 9, 12, 10, 11, 6, 8]
    groups = column_groups(widths, 60, gap=2)
    assert all(g[0] == 0 for g in groups)
    assert sorted({i for g in groups for i in g}) == list(range(len(widths)))
    assert all(sum(widths[i] for i in g) + 2 * (len(g) - 1) <= 60 for g in groups)
    assert column_groups([5, 5], 80) == [[0, 1]]
    assert column_groups([5, 90], 40) == [[0, 1]]  # a column wider than the screen still shows (folded)


def test_a_fitted_table_never_cuts_a_number():
    from gistquiz.ui.widgets.demo_result import FittedTable, result_table

    table = result_table(RESULT["tables"][0])
    for width in (40, 60, 76, 120):
        console = Console(width=width, record=True, color_system=None)
        console.print(table)
        text = console.export_text()
        assert "…" not in text and max(len(line) for line in text.splitlines()) <= width
        assert all(fmt(v, percent=True) in text for v in RESULT["tables"][0]["rows"][0][2:5])
    assert isinstance(table, FittedTable)


def bar_keys(screen) -> dict[str, str]:
    """The keys the footer shows now: key -> action (the screen's own check says which are live)."""
    shown = {}
    for key, active in screen.active_bindings.items():
        if active.binding.show and active.enabled:
            shown[key] = active.binding.action
    return shown


async def open_demos(pilot, app, name: str) -> DemosScreen:
    await settle(pilot, app)
    await pilot.press("d")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, DemosScreen)
    table = screen.query_one("#demo-list", DataTable)
    while table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value != name:
        await pilot.press("down")
    await settle(pilot, app)
    return screen


async def test_after_r_on_the_demos_screen_down_moves_the_list_and_r_runs_the_demo_under_the_cursor(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_demos(pilot, app, "count")
        keys = bar_keys(screen)
        run_key = next(k for k, a in keys.items() if a == "run")
        await pilot.press(run_key)
        await settle(pilot, app)
        panel = screen.query_one("#demo", DemoPanel)
        assert "counted to 3" in " ".join(str(s.render()) for s in panel.query(Static))
        table = screen.query_one("#demo-list", DataTable)
        assert app.focused is table
        await pilot.press("down")
        await settle(pilot, app)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "sizes"
        assert panel.demo == "sizes"
        await pilot.press(run_key)
        await settle(pilot, app)
        assert app.workspace.demo_cache.get("demo:sizes", "sizes", {"seed": 0}) is not None
        assert "Finished in" in str(panel.query_one("#demo-status", Static).render())


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_demos_screen_shows_the_result_and_its_bar_offers_scrolling_when_it_scrolls(app, size):
    async with app.run_test(size=size) as pilot:
        app.workspace.demo_cache.save("demo:sizes", "sizes", {"seed": 0}, RESULT, T0)
        screen = await open_demos(pilot, app, "sizes")
        view = screen.query_one("#demo-view")
        measured = screen.query_one(".lead-measured")
        assert inside(measured, view.region.intersection(screen.region))
        keys = bar_keys(screen)
        scroll = [k for k, a in keys.items() if a.startswith("scroll_result")]
        assert scroll and view.max_scroll_y > 0
        await pilot.press(scroll[0])
        await settle(pilot, app)
        assert view.scroll_y > 0 and app.focused is screen.query_one("#demo-list")
        # a result that fits needs no scroll key
        await pilot.press("up")
        await settle(pilot, app)
        assert view.max_scroll_y == 0 and not any(a.startswith("scroll_result") for a in bar_keys(screen).values())


async def test_what_it_shows_is_whole_at_120_columns(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_demos(pilot, app, "sizes")
        table = screen.query_one("#demo-list", DataTable)
        for name, claim in [(d.name, d.claim) for d in screen.demos]:
            shown = table.get_row(name)[2]
            assert " ".join(str(shown).split()) == claim


async def test_enter_on_an_out_of_range_value_says_what_is_allowed_in_place_and_no_help_is_cut(app):
    from textual.widgets import Input, Label

    from gistquiz.ui.screens.params import ParamsScreen

    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_demos(pilot, app, "sizes")
        await pilot.press(next(k for k, a in bar_keys(screen).items() if a == "params"))
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ParamsScreen)
        dialog = form.query_one("#params-dialog").region
        for label in form.query(".param-label").results(Label):
            label.scroll_visible(animate=False)
            await pilot.pause()
            strips = label.render_lines(Region(0, 0, label.size.width, label.size.height))
            shown = " ".join("".join(seg.text for seg in strip).strip() for strip in strips)
            name = shown.split()[0]
            help_text = next(h for n, _, h, _, _ in REAL_PARAMS if n == name) if name != "seed" else "random seed"
            assert help_text in shown and dialog.contains_region(label.region), shown
        last = form.query_one("#param-linear_lr", Input)
        last.focus()
        await pilot.press("ctrl+a", *"99", "enter")  # the last field, below the fold of the fields' list
        await settle(pilot, app)
        assert app.screen is form
        error = form.query_one("#error-linear_lr", Static)
        fields = form.query_one("#params-fields").region
        assert error.display and fields.contains_region(error.region) and app.focused is last
        assert "allowed: a number from 0.0001 to 10" in str(error.render())


def test_a_percent_column_is_written_as_the_headlines_write_fractions_and_must_exist():
    from gistquiz.ui.widgets.demo_result import demo_harness

    h = demo_harness()
    assert [fmt(0.8, percent=True), fmt(-0.025, percent=True), fmt(1, percent=True)] == ["80.0%", "-2.5%", "100.0%"]
    assert fmt(0.8) == "0.8" and fmt(None, percent=True) == "–" and fmt("-", percent=True) == "-"
    with pytest.raises(ValueError, match="not among its columns"):
        h.Table("t", ["net", "test acc"], [], percent=["test accuracy"])


async def test_tab_and_enter_open_the_details_from_the_keyboard_and_the_table_comes_into_view(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await reveal_with_cached_result(pilot, app)
        details = screen.query_one(Collapsible)
        await pilot.press("tab")
        await settle(pilot, app)
        assert app.focused is details.query_one("CollapsibleTitle")
        await pilot.press("enter")
        await settle(pilot, app)
        assert not details.collapsed and screen.card is not None  # Enter opened the details, nothing else
        table = screen.query_one(".result-table")
        view = screen.query_one("#card").region
        assert view.contains(table.region.x, table.region.y)  # the table starts on screen, no PgDn needed


async def test_a_demo_that_ends_after_its_panel_is_gone_changes_nothing_and_fails_no_worker():
    from textual.app import App

    from gistquiz.runner import Outcome, Progress

    class Host(App[None]):
        def compose(self):
            yield DemoPanel(id="demo")

    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(DemoPanel)
        await panel.remove()  # the screen was left (Esc, Esc) before the demo's last messages arrived
        await pilot.pause()
        panel._progress(Progress(1, 2, {}))
        panel._finished(Outcome("tiny_cnn", {}, 0, cancelled=True))
        assert panel._run is None and not panel.running


@pytest.mark.parametrize("xs", [[1.0, 2.0, 4.0], [0.001, 0.01, 0.1]], ids=["from-1", "below-1"])
async def test_a_log_axis_plot_draws_again_after_a_resize(xs):
    """plotext's build takes the log of a log axis's data in place: a second build (any repaint at a new size)
    took the log of the log, and x at or below 1 raised 'math domain error' inside the app."""
    from textual.app import App

    from gistquiz.ui.widgets.demo_result import make_plot

    plot = {"title": "t", "series": ["s"], "xlabel": "x", "ylabel": "y", "log_x": True, "log_y": True}
    series = {"s": {"x": xs, "y": [0.3, 0.1, 0.02]}}

    class Host(App[None]):
        def compose(self):
            yield make_plot(plot, series)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(".result-plot")
        first = str(widget.render())
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        second = str(widget.render())
        assert "t" in first and second and second != ""
