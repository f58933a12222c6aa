"""Fitting FSRS parameters and simulating retentions for the app, in a child process.

fsrs-rs's calls hold Python's lock for their whole length (a ticker thread got one tick during a 0.33 s
``simulate``), so in a thread they would freeze the app; in a child process they run on the other core,
and Esc ends them at once. The child is ``python -m gistquiz.fit_job fit|simulate --home HOME ...``; it
prints one JSON object per line, ``{"type": "progress", "phase": ..., "step": k, "total": n}`` as it goes,
then ``{"type": "result", "result": {...}}`` or ``{"type": "error", "message": ...}``.

The child only reads: it opens the review database read-only (not even the store's open mark is written,
which a killed child would leave behind), so ending it changes nothing. A fit's result carries everything
applying needs (the events and the card states of each mode, as ``gistquiz optimize`` computes them) and
a fingerprint of the log it read: :func:`apply` refuses when the log changed since, so a fit never writes
states computed from an older history.

:class:`Job` is the parent's side: iterate :meth:`Job.events` in a worker thread; :meth:`Job.cancel` may
be called from any thread.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gistquiz.runner import ONE_THREAD, bounded_lines

if TYPE_CHECKING:
    from gistquiz.store import Store

MESSAGE_BYTES = 64 * 1024 * 1024
"""The longest result line read whole: a fit's result holds every changed card's state (about 300 bytes each)."""
FIT_PHASES = (
    "reading your review log",
    "fitting on the earlier 75%",
    "judging both on the latest 25%",
    "refitting on all of the history",
    "working out what changes",
    "simulating a year of reviews",
)


class StaleFit(Exception):
    """The log changed between the fit and applying it."""


@dataclass(frozen=True)
class Phase:
    phase: str
    step: int
    total: int


@dataclass
class Done:
    result: dict[str, Any] | None = None
    error: str | None = None
    cancelled: bool = False
    returncode: int | None = None


# --------------------------------------------------------------------------- the parent's side


class Job:
    """One child run: ``Job.fit(home, now, cards)`` or ``Job.simulate(home, cards)``."""

    def __init__(self, args: list[str]):
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()

    @classmethod
    def fit(cls, home: Path, now: datetime, cards: int) -> Job:
        return cls(["fit", "--home", str(home), "--now", now.isoformat(), "--cards", str(cards)])

    @classmethod
    def simulate(cls, home: Path, cards: int, days: int = 365) -> Job:
        return cls(["simulate", "--home", str(home), "--cards", str(cards), "--days", str(days)])

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gistquiz.fit_job", *self.args]

    def events(self) -> Iterator[Phase | Done]:
        """Start the child and yield its phases, then exactly one :class:`Done`."""
        done = Done()
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **ONE_THREAD, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own process group: cancel ends everything it started
        )
        if self._cancelled.is_set():
            self._kill()
        tail: list[str] = []
        try:
            assert self.proc.stdout is not None
            for line, whole in bounded_lines(self.proc.stdout, MESSAGE_BYTES):
                msg = _message(line) if whole else None
                if msg is None:
                    tail = (tail + [line.decode("utf-8", "replace")])[-5:]
                elif msg.get("type") == "progress":
                    yield Phase(str(msg.get("phase", "")), int(msg.get("step", 0)), int(msg.get("total", 0)))
                elif msg.get("type") == "result" and isinstance(msg.get("result"), dict):
                    done.result = msg["result"]
                elif msg.get("type") == "error":
                    done.error = str(msg.get("message", "error"))
            assert self.proc.stderr is not None
            err = self.proc.stderr.read(64 * 1024).decode("utf-8", "replace").strip().splitlines()
            done.returncode = self.proc.wait()
        finally:
            if self.proc.poll() is None:
                self._kill()
                self.proc.wait()
        done.cancelled = self._cancelled.is_set()
        if done.cancelled:
            done.result, done.error = None, "cancelled"
        elif done.result is None and done.error is None:
            last = next((t for t in reversed(tail + err) if t.strip()), "")
            done.error = f"the fit stopped (exit code {done.returncode})" + (f": {last}" if last else "")
        yield done

    def cancel(self) -> None:
        self._cancelled.set()
        if self.proc is not None:
            self._kill()

    def _kill(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # it ended meanwhile
            os.killpg(proc.pid, signal.SIGKILL)


def _message(line: bytes) -> dict[str, Any] | None:
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return msg if isinstance(msg, dict) else None


def fingerprint(store: Store) -> list:
    """What a fit read: the answers that count (how many, the newest id) and the parameter events' ids.
    An answer, an undo or another fit applied since changes it."""
    rows = store.answer_rows()
    return [len(rows), rows[-1][0] if rows else 0, [row[0] for row in store.parameter_events()]]


def apply(store: Store, result: dict[str, Any], mode: str) -> list[int]:
    """Apply a fit's result in ``mode`` ('future' or 'reschedule'); :class:`StaleFit` if the log changed since."""
    from gistquiz import optimize
    from gistquiz.fsrs_params import ParameterEvent
    from gistquiz.scheduler import CardState

    if fingerprint(store) != result["seen"]:
        raise StaleFit("your review log changed while the fit ran: fit again")
    events = [
        ParameterEvent(
            0,
            datetime.fromisoformat(e["applied_at"]),
            e["deck"],
            "future",
            tuple(e["parameters"]),
            e["review_count"],
            e["library"],
            e["evaluation"],
        )
        for e in result["events"]
    ]
    states = {m: [CardState.from_dict(d) for d in result["states"][m]] for m in ("future", "reschedule")}
    return optimize.apply(store, optimize.Plan(events, states), mode)


# --------------------------------------------------------------------------- the child's side


def open_reader(path: Path) -> Store:
    """The review database as a :class:`Store` that can only read: its query methods without its open (which
    migrates, sets WAL and writes an open mark a killed child would leave behind)."""
    from gistquiz.errors import UserError
    from gistquiz.store import Store

    if not path.exists():
        raise UserError("no reviews yet: answer some cards first")
    store = Store.__new__(Store)
    store.path, store.damaged, store._mark = path, None, None
    store.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    return store


@dataclass
class _Reporter:
    total: int
    step: int = 0
    hold: float = 0.0

    def __call__(self, phase: str, scope: str | None = None) -> None:
        if phase in FIT_PHASES:
            self.step = max(self.step, FIT_PHASES.index(phase) + 1)
        phase = f"{scope}: {phase}" if scope else phase
        _emit({"type": "progress", "phase": phase, "step": self.step, "total": self.total})
        if self.hold and self.step == 1:
            time.sleep(self.hold)


def _emit(msg: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def run_fit(home: Path, now: datetime, cards: int, say=lambda phase, scope=None: None) -> dict[str, Any]:
    """What the app's fit shows and applies: ``gistquiz optimize`` for all decks, as data."""
    import fsrs_rs_python as rs

    from gistquiz import fsrs_items, fsrs_params, locations, optimize, settings, simulate
    from gistquiz.scheduler import Scheduler

    store = open_reader(locations.database_path(home))
    conf = settings.load(locations.settings_path(home))
    say(FIT_PHASES[0])
    seen = fingerprint(store)
    timeline, problems = fsrs_params.load(store)
    scheduler = Scheduler(conf, timeline.at())
    answers = fsrs_items.log_answers(store)
    items = fsrs_items.build_items(answers, store.links(), conf.day_starts_at)

    def progress(deck: str | None, phase: str) -> None:
        say(phase, f"deck '{deck}'" if deck else None)

    fits, refused = optimize.fit_scopes(items, scheduler, [], len(conf.relearning_steps), progress)
    out: dict[str, Any] = {"fits": [f.to_dict() for f in fits], "refused": refused, "problems": problems, "seen": seen}
    if not fits:
        return out
    say(FIT_PHASES[4])
    plan = optimize.plan(store, scheduler, fits, now)
    out |= {
        "due_today": plan.due_today,
        "recall_today": plan.recall_today,
        "events": [
            {
                "applied_at": ev.applied_at.isoformat(),
                "deck": ev.deck,
                "parameters": list(ev.parameters),
                "review_count": ev.review_count,
                "library": ev.library,
                "evaluation": ev.evaluation,
            }
            for ev in plan.events
        ],
        "states": {m: [s.to_dict() for s in plan.states[m]] for m in plan.states},
        "current": {str(k): list(v) for k, v in scheduler.parameters.items()},
        "workload": None,
    }
    new_global = next((ev.parameters for ev in plan.events if ev.deck is None), None)
    if new_global is not None and cards:
        say(FIT_PHASES[5])
        work = simulate.workload(answers, rs.default_simulator_config())
        r = conf.desired_retention
        rows = {
            name: simulate.simulate(w, conf, cards, work, [r], 365).rows[0]
            for name, w in (("before", scheduler.parameters_for("")), ("after", new_global))
        }
        out["workload"] = {"retention": r, "cards": cards, **{k: vars(v) for k, v in rows.items()}}
    return out


def run_simulate(home: Path, cards: int, days: int) -> dict[str, Any]:
    """``gistquiz simulate``'s table for the default retentions, as data."""
    from gistquiz import fsrs_params, locations, settings, simulate
    from gistquiz.scheduler import Scheduler

    conf = settings.load(locations.settings_path(home))
    path = locations.database_path(home)
    if path.exists():
        store = open_reader(path)
        scheduler = Scheduler(conf, fsrs_params.load(store)[0].at())
    else:
        store, scheduler = None, Scheduler(conf)
    return simulate.for_store(store, scheduler, cards, simulate.DEFAULT_RETENTIONS, days).to_dict()


def main(argv: list[str] | None = None) -> int:
    from gistquiz.errors import StoreError, UserError

    parser = argparse.ArgumentParser(prog="python -m gistquiz.fit_job")
    parser.add_argument("job", choices=("fit", "simulate"))
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--cards", type=int, default=0)
    parser.add_argument("--now")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--hold", type=float, default=0.0, help=argparse.SUPPRESS)  # tests: wait after phase 1
    args = parser.parse_args(argv)
    try:
        if args.job == "fit":
            reporter = _Reporter(len(FIT_PHASES), hold=args.hold)
            result = run_fit(args.home, datetime.fromisoformat(args.now), args.cards, reporter)
        else:
            result = run_simulate(args.home, args.cards, args.days)
    except (UserError, StoreError, sqlite3.Error, OSError) as err:
        _emit({"type": "error", "message": str(err)})
        return 1
    _emit({"type": "result", "result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
