"""The benchmarks run against the code as it is: each is a script nobody runs in CI, so a change to the core's
types broke ``bench_core.py --answer-path`` once (``dataclasses.replace`` on a state that had become a named
tuple) without a test noticing. These run their cheapest settings; the figures are not checked."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import bench_core  # noqa: E402


def test_the_answer_path_benchmark_runs_every_contender(tmp_path):
    samples = bench_core.answer_path_ratios(tmp_path, rounds=2, batch=1)
    assert len(samples) >= 6 and all(len(v) == 2 and all(x > 0 for x in v) for v in samples.values()), samples


def test_the_open_benchmark_runs(tmp_path, capsys):
    bench_core.open_ratios(tmp_path, (200,), rounds=2, fresh_rounds=2)
    assert "200" in capsys.readouterr().out


def test_the_load_steps_benchmark_runs_every_step(tmp_path):
    import bench_app

    steps = bench_app.load_steps(tmp_path, repeat=1)
    assert set(steps) == {"core-imports", "demo-scan", "decks", "store-open", "sync", "counts", "total"}, steps
    assert all(len(ms) == 1 and ms[0] > 0 for ms in steps.values()), steps


def test_the_first_screen_benchmark_runs_every_app_and_quits_them(tmp_path):
    import pytest

    pytest.importorskip("pty")
    import bench_app

    home = tmp_path / "home"
    home.mkdir()
    times = bench_app.first_screens(home, repeat=1)
    assert all(len(v) == 1 and v[0] > 0 for v in times.values()), times
    assert times["painted"][0] <= times["shown"][0] and times["painted alone"][0] <= times["shown alone"][0]
    # Every start ended with Ctrl+Q, as a learner's does: no mark of a store left open, no side file
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("gistquiz.sqlite3")) == ["gistquiz.sqlite3"]
