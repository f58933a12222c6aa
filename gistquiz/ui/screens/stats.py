"""Stats: what each desired retention costs (a simulated year), reviews per day as a calendar heat map, the
30-day due forecast, true retention per month against the desired retention, counts by state, and leeches
(Enter opens one). ``f`` fits FSRS to the learner's reviews (:mod:`gistquiz.ui.screens.fit`).

The simulation runs in a child process (:class:`gistquiz.fit_job.Job`): fsrs-rs holds Python's lock while
it simulates, which in a thread would freeze the app for a third of a second per thousand cards."""

from __future__ import annotations

from datetime import date, timedelta

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from gistquiz import fsrs_params
from gistquiz.fit_job import Done, Job
from gistquiz.selection import Selection
from gistquiz.stats import Stats, compute
from gistquiz.ui.widgets.key_bar import KeyBar, binding_keys

SHADES = " ░▒▓█"
"""Heat map levels; the legend gives their counts, so the shade is not the only carrier."""


def calendar(per_day: dict[str, int], today: date, weeks: int = 17) -> Text:
    """A GitHub-style grid: a column a week, a row a weekday, darker for more reviews."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    top = max(per_day.values(), default=0)
    levels = [0, *(max(1, round(top * f)) for f in (0.25, 0.5, 0.75))] if top else [0, 1, 1, 1]
    text = Text()
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        text.append(f"{name:>3} ")
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            if day > today:
                text.append("  ")
                continue
            n = per_day.get(day.isoformat(), 0)
            level = 0 if n == 0 else 1 + sum(n > lv for lv in levels[1:])
            text.append(SHADES[level] * 2, style="green" if n else "dim")
        text.append("\n")
    if not top:
        text.append("    no reviews yet", style="dim")
        return text
    text.append(
        f"    {SHADES[1] * 2} 1+  {SHADES[2] * 2} >{levels[1]}  {SHADES[3] * 2} >{levels[2]}  "
        f"{SHADES[4] * 2} >{levels[3]} reviews a day · busiest day {top}",
        style="dim",
    )
    return text


EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar ``fraction`` of ``width`` cells long, in eighths of a cell, padded to ``width``."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def retention_costs(table: dict, width: int) -> Text:
    """Minutes per day and cards remembered at the end of a simulated year against desired retention: a row
    per retention, two bars each with their numbers, the current setting and the most per minute marked.
    Every row is at most ``width`` cells (the bars shrink to fit)."""
    rows = table["rows"]
    n = max(4, (width - 38) // 2)
    top_minutes = max((r["minutes_per_day"] for r in rows), default=0) or 1
    top_remembered = max((r["remembered"] for r in rows), default=0) or 1
    text = Text()
    text.append(f"  {'desired':>7}  {'minutes per day':<{n + 6}}  {'cards remembered':<{n + 6}}\n", style="dim")
    for r in rows:
        text.append(f"  {r['retention']:7.2f}  ")
        text.append(bar(r["minutes_per_day"] / top_minutes, n), style="cyan")
        text.append(f"{r['minutes_per_day']:6.1f}  ")
        text.append(bar(r["remembered"] / top_remembered, n), style="green")
        text.append(f"{r['remembered']:6.0f}")
        if r["retention"] == table["current"]:
            text.append(" ◀ now", style="bold")
        if r["retention"] == table["best"]:
            text.append(" ★", style="bold yellow")
        text.append("\n")
    source = "fitted" if table["parameters"] == "fitted" else "default"
    note = f"  ★ most remembered per minute · {table['cards']} new cards, {table['days']} days, {source} parameters"
    text.append(note if len(note) <= width else note.replace(" · ", "\n  "), style="dim")
    return text


def forecast_bars(forecast: list[int], today: date) -> Text:
    """Due cards for each of the next days (``forecast[0]`` is today), as a bar chart with dated weeks."""
    top = max(forecast, default=0) or 1
    height = 6
    text = Text()
    for level in range(height, 0, -1):
        text.append("    ")
        for n in forecast:
            text.append("█ " if n * height / top >= level - 0.5 and n else "  ", style="cyan")
        text.append("\n")
    text.append("    " + day_axis(today, len(forecast)) + "\n", style="dim")
    busiest = max(range(len(forecast)), key=lambda d: forecast[d]) if forecast else 0
    text.append(
        f"    today {forecast[0] if forecast else 0} · total {sum(forecast)} · "
        f"busiest: {short_date(today + timedelta(days=busiest))} ({forecast[busiest] if forecast else 0})",
        style="dim",
    )
    return text


def days_that_fit(width: int, available: int) -> int:
    """How many days of the forecast fit ``width`` cells: two a day, after the indent, the last date whole."""
    return max(1, min(available, (width - 4 - len("╵Mar 30")) // 2 + 1))


def day_axis(today: date, days: int, every: int = 7) -> str:
    """Under a bar chart of two cells a day: a ╵ and the date under today and every week after it."""
    cells = [" "] * (2 * days + 8)  # the last label may reach past the last bar, never cut
    for d in range(0, days, every):
        label = "╵" + short_date(today + timedelta(days=d))
        cells[2 * d : 2 * d + len(label)] = label
    return "".join(cells).rstrip()


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(day: date) -> str:
    """ "Mar 2", whatever the locale (strftime's %b follows it)."""
    return f"{MONTHS[day.month - 1]} {day.day}"


class StatsScreen(Screen[None]):
    DEFAULT_CSS = """
    #stats {
        padding: 0 1;
    }
    #stats > Static {
        margin-bottom: 1;
    }
    #stats-leeches {
        height: auto;
        max-height: 10;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "toggle_all", "This deck / all decks"),
        Binding("f", "fit", "Fit FSRS to my reviews"),
    ]

    def __init__(self, selection: Selection):
        super().__init__()
        self.selection = selection
        self.simulation: Job | None = None
        self.all_decks = selection.all_decks
        """Shown now: every deck (``a`` toggles it when the selection is one deck)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats"):
            yield Static("Computing…", id="stats-summary", markup=False)
            yield Static("", id="stats-costs", markup=False)
            yield Static("", id="stats-calendar", markup=False)
            yield Static("", id="stats-forecast", markup=False)
            yield Static("", id="stats-retention", markup=False)
            yield Static("", id="stats-leech-title", markup=False)
            leeches: DataTable[str] = DataTable(id="stats-leeches", cursor_type="row")
            leeches.add_columns("Lapses", "Deck", "Card")
            yield leeches
        yield KeyBar(binding_keys(self.BINDINGS))  # Textual's Footer cut "^q Quit" at 80 columns

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="stats")
    def load(self) -> None:
        ws = self.app.workspace
        cards = list(ws.library.cards()) if self.all_decks else list(self.selection.cards)
        st = compute(cards, ws.store, ws.scheduler, self.app.clock(), forecast_days=30)
        self.app.call_from_thread(self.show, st)
        self.app.call_from_thread(self.simulate, len(cards))

    def simulate(self, cards: int) -> None:
        """Start the simulation behind the costs plot (a child process), ending one still running."""
        costs = self.query_one("#stats-costs", Static)
        if self.simulation is not None:
            self.simulation.cancel()
        if not cards:
            costs.update(Text("No cards to simulate.", style="dim"))
            return
        costs.update(
            Text.assemble(("What each desired retention costs\n", "bold"), ("  simulating a year of reviews…", "dim"))
        )
        self.simulation = Job.simulate(self.app.workspace.home, cards)
        self.run_simulation(self.simulation)

    @work(thread=True, group="stats-simulate")
    def run_simulation(self, job: Job) -> None:
        done = next(e for e in job.events() if isinstance(e, Done))
        if not done.cancelled:
            self.app.call_from_thread(self.show_costs, done)

    def show_costs(self, done: Done) -> None:
        costs = self.query_one("#stats-costs", Static)
        if done.result is None:
            costs.update(Text(f"! cannot simulate: {done.error}", style="red"))
            return
        width = self.query_one("#stats").content_region.width - 1
        costs.update(
            Text.assemble(("What each desired retention costs\n", "bold"), retention_costs(done.result, width))
        )

    def on_unmount(self) -> None:
        if self.simulation is not None:
            self.simulation.cancel()

    def action_fit(self) -> None:
        from gistquiz.ui.screens.fit import FitScreen

        cards = sum(1 for _ in self.app.workspace.library.cards())
        screen = FitScreen(Job.fit(self.app.workspace.home, self.app.clock(), cards))
        self.app.push_screen(screen, self.fitted)

    def fitted(self, mode: str | None) -> None:
        if mode is None:
            return
        kept = "due dates kept" if mode == "future" else "due dates recomputed"
        self.notify(f"Your fitted FSRS parameters are in use ({kept}).")
        self.load()

    def show(self, st: Stats) -> None:
        self.title = f"Stats: {'all decks' if self.all_decks else self.selection.title}"
        self.sub_title = ""
        counts = " · ".join(f"{k} {v}" for k, v in st.by_state.items())
        tr = st.true_retention
        summary = Text()
        summary.append(f"{st.total} cards", style="bold")
        summary.append(f" ({counts})\n{st.reviews_total} reviews · {st.due_today} to study today · true retention ")
        summary.append("–" if tr is None else f"{tr:.1%}", style="bold")
        summary.append(f"  (desired {st.desired_retention:.0%})")
        pr = st.predicted_retention
        summary.append(" · predicted recall today ")
        summary.append("–" if pr is None else f"{pr:.1%}", style="bold")
        summary.append(f"\nFSRS parameters: {fsrs_params.describe(st.parameters, 'press f')}", style="dim")
        self.query_one("#stats-summary", Static).update(summary)
        today = self.app.clock().astimezone().date()
        self.query_one("#stats-calendar", Static).update(
            Text.assemble(("Reviews per day\n", "bold"), calendar(st.reviews_per_day, today))
        )
        days = days_that_fit(self.size.width - 3, len(st.forecast))  # #stats' scrollbar and a margin
        self.query_one("#stats-forecast", Static).update(
            Text.assemble((f"Due in the next {days} days\n", "bold"), forecast_bars(st.forecast[:days], today))
        )
        table = Table(
            "month",
            "passed",
            "answers",
            "true retention",
            "desired",
            title="True retention by month",
            box=None,
            padding=(0, 2),
            title_justify="left",
            title_style="bold",
        )
        for month, (passed, total) in st.retention_by_month.items():
            mark = "" if passed / total >= st.desired_retention else "  below"
            table.add_row(month, str(passed), str(total), f"{passed / total:.1%}{mark}", f"{st.desired_retention:.0%}")
        if not st.retention_by_month:
            table.add_row("–", "–", "–", "no reviews of mature cards yet", f"{st.desired_retention:.0%}")
        self.query_one("#stats-retention", Static).update(table)
        self.leeches = st.leeches
        leeches = self.query_one("#stats-leeches", DataTable)
        leeches.clear()
        for i, lx in enumerate(st.leeches):
            leeches.add_row(str(lx.lapses), Text(lx.deck), Text(lx.front.splitlines()[0][:60]), key=str(i))
        self.query_one("#stats-leech-title", Static).update(
            Text("Leeches (suspended; Enter opens one)", style="bold") if st.leeches else Text("No leeches.", "dim")
        )
        leeches.display = bool(st.leeches)

    @on(DataTable.RowSelected, "#stats-leeches")
    def open_leech(self, event: DataTable.RowSelected) -> None:
        lx = self.leeches[int(event.row_key.value or 0)]
        card = self.app.workspace.library.card(lx.key)
        if card is not None:
            self.app.open_review(Selection(f"Leech in {lx.deck}", (card,)), cram=True)

    def action_toggle_all(self) -> None:
        if not self.selection.all_decks:
            self.all_decks = not self.all_decks
            self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
