"""``gistquiz simulate``: seeded tables from the learner's own answers, and --apply editing settings.toml."""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace

import fsrs_rs_python as rs
import pytest
from synthetic_learner import WEAK_MEMORY, make_home, utc_zone

from gistquiz.cli import main
from gistquiz.scheduler import State
from gistquiz.settings import write_number
from gistquiz.simulate import DEFAULT_RETENTIONS, workload


@pytest.fixture(scope="module", autouse=True)
def utc_local_time():
    with utc_zone():
        yield


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim") / "home"
    make_home(root, WEAK_MEMORY, cards=60, days=20, new_per_day=10)
    return root


def table(home, capsys, *args):
    assert main(["simulate", "--home", str(home), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_table_is_seeded_marks_the_current_and_the_best(home, capsys):
    t = table(home, capsys, "--days", "60")
    assert t == table(home, capsys, "--days", "60")
    assert [r["retention"] for r in t["rows"]] == sorted(DEFAULT_RETENTIONS)
    assert t["current"] == 0.9 and t["cards"] == 60 and t["days"] == 60
    best = max(t["rows"], key=lambda r: r["per_minute"])
    assert t["best"] == best["retention"]
    for r in t["rows"]:
        assert r["per_minute"] == pytest.approx(r["remembered"] / (r["minutes_per_day"] * 60))
    # more retention costs more reviews: the simulation responds to the setting
    assert t["rows"][-1]["reviews_per_day"] > t["rows"][0]["reviews_per_day"]


def test_answer_times_are_the_learners_own(home, capsys):
    t = table(home, capsys, "--retention", "0.85", "--days", "30")
    assert [r["retention"] for r in t["rows"]] == [0.85, 0.9]  # the current setting is always in the table
    w = t["workload"]
    assert w["measured_costs"] >= 4 and w["measured_ratings"]
    # the synthetic learner takes 3-15 s per answer, uniformly: a median near 9 s, never fsrs-rs's 19.4 s
    assert 7 < w["costs"][1][2] < 11


def test_the_edge_of_the_range_is_said(home, capsys):
    t = table(home, capsys, "--retention", "0.97", "--days", "30")
    if t["best"] in (0.9, 0.97):
        assert "may lie beyond 0.90-0.97" in t["edge_note"]
    main(["simulate", "--home", str(home), "--days", "30"])
    out = capsys.readouterr().out
    assert "<- current" in out and "<- most per minute" in out and "searched 0.70-0.97" in out


def test_workload_falls_back_to_fsrs_rs_defaults_without_history():
    w = workload([], rs.default_simulator_config())
    assert w.measured_costs == 0 and not w.measured_ratings
    assert w.costs[1][2] == pytest.approx(rs.default_simulator_config().state_rating_costs[1][2])
    quiz = SimpleNamespace(source="quiz", rating=3, state_before=State.REVIEW, duration_ms=1000)
    assert workload([quiz] * 50, rs.default_simulator_config()).measured_costs == 0  # quiz answers are not study


def test_apply_sets_the_retention_and_keeps_comments(tmp_path, capsys):
    home = tmp_path / "h"
    home.mkdir()
    path = home / "settings.toml"
    path.write_text("# my settings\ndesired_retention = 0.9   # the default\nnew_per_day = 5\n")
    assert main(["simulate", "--home", str(home), "--apply", "0.85"]) == 0
    assert path.read_text() == "# my settings\ndesired_retention = 0.85   # the default\nnew_per_day = 5\n"
    assert main(["simulate", "--home", str(home), "--apply", "0.5"]) == 2
    assert "between 0.7 and 0.99" in capsys.readouterr().err
    assert tomllib.loads(path.read_text())["desired_retention"] == 0.85


def test_apply_adds_the_key_when_missing(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[extra]\n")
    with pytest.raises(Exception, match="unknown setting 'extra'"):
        write_number(path, "desired_retention", 0.8)  # the file was not valid settings: left alone
    assert path.read_text() == "[extra]\n"
    path.write_text("new_per_day = 5\n")
    write_number(path, "desired_retention", 0.8)
    assert tomllib.loads(path.read_text()) == {"desired_retention": 0.8, "new_per_day": 5}


def test_bad_retention_and_days_are_one_line(home, capsys):
    assert main(["simulate", "--home", str(home), "--retention", "1.5"]) == 2
    assert main(["simulate", "--home", str(home), "--days", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "1.5" in err[0] and "--days" in err[1]


def test_the_stores_narrow_read_gives_the_same_workload_as_the_whole_log(home, tmp_path):
    """``simulate`` reads three columns of the review answers (Store.workload_rows), not the log's every answer:
    the workload must be the same as from the full read, undone, quiz and imported answers left out alike."""
    import shutil
    from datetime import UTC, datetime

    from gistquiz.fsrs_items import log_answers
    from gistquiz.locations import database_path
    from gistquiz.simulate import workload_of
    from gistquiz.store import Store

    db = tmp_path / "copy.sqlite3"
    shutil.copy(database_path(home), db)
    with Store(db) as store:
        last = store.reviews()[-1]
        store.undo(last.id, datetime.now(UTC))  # an undone answer counts in neither
        store.db.execute("UPDATE reviews SET source='quiz' WHERE id IN (SELECT id FROM reviews LIMIT 5)")
        store.db.commit()
        defaults = rs.default_simulator_config()
        narrow, whole = workload_of(store.workload_rows(), defaults), workload(log_answers(store), defaults)
        assert narrow == whole and narrow.measured_costs >= 4
        assert len(store.workload_rows()) == sum(a.source == "review" for a in log_answers(store))
