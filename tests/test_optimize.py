"""``gistquiz optimize``: synthetic learners with known FSRS-6 memories study through the app, then the fit.

The learners answer through :class:`~gistquiz.session.Session` and ``Store.answer`` (see
``synthetic_learner.py``); the optimizer reads the log they leave, exactly as for a real user.
Tolerances were measured over seeds 0-3 of the weak learner (300 cards, 45 days, 20 new a day, the
same learner as here but more of it): held-out log loss 0.016-0.023 below the defaults', mean absolute
error of predicted recall 0.023-0.040 fitted against 0.068-0.074 for the defaults.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
import fsrs_rs_python as rs
import pytest
from synthetic_learner import WEAK_MEMORY, make_home, utc_zone

from gistquiz import fsrs_params
from gistquiz.cli import main
from gistquiz.fsrs_items import items_from_store
from gistquiz.optimize import MIN_ITEMS, time_split
from gistquiz.rebuild import rebuild
from gistquiz.scheduler import study_days_between
from gistquiz.workspace import Workspace

DEFAULTS = tuple(fsrs.scheduler.DEFAULT_PARAMETERS)  # py-fsrs: fsrs-rs rounds them to float32


@pytest.fixture(scope="module", autouse=True)
def utc_local_time():
    with utc_zone():
        yield


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    root = tmp_path_factory.mktemp("weak") / "home"
    return root, make_home(root, WEAK_MEMORY, cards=200, days=40, new_per_day=15)


@pytest.fixture
def home(weak, tmp_path):
    """A fresh copy of the weak learner's data folder for a test that changes it."""
    copy = tmp_path / "home"
    shutil.copytree(weak[0], copy)
    return copy


def run(home: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["optimize", "--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(home: Path):
    ws = Workspace.open(home)
    try:
        return ws.store.states(), ws.store.parameter_events()
    finally:
        ws.close()


def predicted_recall(w, reviews) -> float:
    """Recall FSRS with parameters ``w`` predicts for the last answer of ``reviews``."""
    memory = rs.FSRS(list(w)).memory_state(rs.FSRSItem([rs.FSRSReview(r, d) for r, d in reviews[:-1]]))
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    return (1 + factor * reviews[-1][1] / memory.stability) ** decay


def test_the_fit_beats_the_defaults_and_recovers_the_learners_recall(home, weak, capsys):
    learner = weak[1]
    code, out, _ = run(home, "--json", "--apply", "future", capsys=capsys)
    report = json.loads(out)
    (fit,) = report["fits"]
    assert code == 0 and report["applied"] == "future"
    assert fit["baseline_name"] == "defaults" and fit["better"]
    assert fit["fitted"]["log_loss"] < fit["baseline"]["log_loss"] - 0.008
    assert fit["fitted"]["rmse_bins"] < fit["baseline"]["rmse_bins"]

    ws = Workspace.open(home)
    items = items_from_store(ws.store, 4)
    held_out = items[time_split(items) :]
    assert len(held_out) == fit["held_out"]
    errors = {"fitted": [], "defaults": []}
    for it in held_out:
        truth = learner.true_recall[(it.key, it.at)]
        errors["fitted"].append(abs(predicted_recall(fit["split_parameters"], it.reviews) - truth))
        errors["defaults"].append(abs(predicted_recall(DEFAULTS, it.reviews) - truth))
    mae = {k: sum(v) / len(v) for k, v in errors.items()}
    assert mae["fitted"] < 0.045 and mae["fitted"] < 0.7 * mae["defaults"], mae

    # Saved: a new workspace (a restart) schedules with the refitted vector, and a rebuild reproduces the states.
    assert ws.scheduler.parameters == {None: tuple(fit["parameters"])}
    assert ws.scheduler.parameters_for("d") == tuple(fit["parameters"])
    assert rebuild(ws.store, ws.scheduler, dry_run=True).changed == []
    ws.close()


def test_applying_to_future_reviews_keeps_due_dates_and_reschedule_recomputes_them(home, tmp_path, capsys):
    before, _ = snapshot(home)
    other = tmp_path / "other"
    shutil.copytree(home, other)
    assert run(home, "--apply", "future", capsys=capsys)[0] == 0
    assert run(other, "--apply", "reschedule", capsys=capsys)[0] == 0
    future, _ = snapshot(home)
    rescheduled, _ = snapshot(other)
    reviewed = [k for k, s in before.items() if s.reps]
    assert all(future[k].due == before[k].due for k in reviewed)
    assert sum(future[k].stability != before[k].stability for k in reviewed) > 0.9 * len(reviewed)
    assert sum(rescheduled[k].due != before[k].due for k in reviewed) > 0.5 * len(reviewed)
    for h in (home, other):
        ws = Workspace.open(h)
        assert rebuild(ws.store, ws.scheduler, dry_run=True).changed == []
        ws.close()


def test_the_text_report_shows_both_losses_and_what_changes(home, capsys):
    code, out, _ = run(home, "--dry-run", capsys=capsys)
    assert code == 0
    assert "held-out log loss    defaults" in out and "fitted" in out
    assert "cards due today:" in out and "dry run: nothing changed" in out


def test_dry_run_and_declining_change_nothing(home, capsys, monkeypatch):
    before = snapshot(home)
    assert run(home, "--dry-run", capsys=capsys)[0] == 0
    assert run(home, "--dry-run", "--json", capsys=capsys)[0] == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out, _ = run(home, capsys=capsys)  # not at a terminal and no --apply: says how, applies nothing
    assert code == 0 and "--apply future" in out
    assert snapshot(home) == before


def test_a_learner_at_the_default_parameters_is_not_made_worse(tmp_path, capsys):
    root = tmp_path / "home"
    learner = make_home(root, DEFAULTS, cards=150, days=40, new_per_day=12, seed=3)
    code, out, _ = run(root, "--json", "--apply", "future", capsys=capsys)
    (fit,) = json.loads(out)["fits"]
    assert code == 0
    ws = Workspace.open(root)
    in_force = ws.scheduler.parameters_for("d")
    # The fit is kept only when it predicts the held-out answers better; kept or not, what is in force
    # predicts this learner's true recall (the defaults' own) closely on every answer of the log.
    if fit["better"]:
        assert fit["fitted"]["log_loss"] < fit["baseline"]["log_loss"] and in_force == tuple(fit["parameters"])
    else:
        assert in_force == DEFAULTS and ws.store.parameter_events() == []
    items = items_from_store(ws.store, 4)
    errors = [abs(predicted_recall(in_force, it.reviews) - learner.true_recall[(it.key, it.at)]) for it in items]
    assert sum(errors) / len(errors) < 0.03
    ws.close()


def test_too_little_history_says_how_much_is_needed_and_changes_nothing(tmp_path, capsys):
    root = tmp_path / "home"
    make_home(root, WEAK_MEMORY, cards=20, days=10, new_per_day=5)
    before = snapshot(root)
    code, out, err = run(root, "--apply", "future", capsys=capsys)
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert f"{MIN_ITEMS} needed" in line and "all decks:" in line
    assert snapshot(root) == before


def test_no_history_at_all(tmp_path, capsys):
    code, _, err = run(tmp_path / "empty", capsys=capsys)
    assert code == 1 and "all decks: 0 reviews" in err


def test_a_named_deck_is_fitted_on_its_own(home, capsys):
    code, out, _ = run(home, "d", "--json", "--apply", "future", capsys=capsys)
    (fit,) = json.loads(out)["fits"]
    assert code == 0 and fit["deck"] == "d"
    ws = Workspace.open(home)
    assert set(ws.scheduler.parameters) == {"d"}
    assert ws.scheduler.parameters_for("d") == tuple(fit["parameters"])
    assert ws.scheduler.parameters_for("other") == DEFAULTS  # a deck without its own uses the global ones
    ws.close()


def test_an_unknown_deck_is_one_line(home, capsys):
    code = main(["optimize", "--home", str(home), "nosuchdeck"])
    assert code == 2 and "no deck named 'nosuchdeck'" in capsys.readouterr().err


BAD_EVENTS = {
    "corrupt": ("{not json", "not valid JSON"),
    "newer": (json.dumps({"format": 99, "parameters": list(DEFAULTS)}), "newer gistquiz"),
    "short": (json.dumps({"format": 1, "parameters": list(DEFAULTS[:19])}), "19 parameters, FSRS-6 has 21"),
    "out of bounds": (json.dumps({"format": 1, "parameters": [-100.0] * 21}), "w0 = -100.0 is outside"),
}


@pytest.mark.parametrize("kind", BAD_EVENTS)
def test_a_bad_stored_event_is_one_line_and_changes_nothing(home, kind, capsys):
    body, message = BAD_EVENTS[kind]
    ws = Workspace.open(home)
    ws.store.record_parameters([(datetime.now(UTC), None, "future", body)])
    before = (ws.store.states(), ws.store.parameter_events())
    ws.close()

    ws = Workspace.open(home)
    assert ws.scheduler.parameters == {}  # the defaults stay in force
    (problem,) = ws.parameter_problems
    assert message in problem and "ignored" in problem
    assert rebuild(ws.store, ws.scheduler, dry_run=True).changed == []
    ws.close()
    assert main(["decks", "--home", str(home)]) == 0  # the app's data still opens
    code, _, err = run(home, "--dry-run", capsys=capsys)
    assert code == 0 and err.count("\n") == 1 and message in err
    assert snapshot(home) == before


def test_bounds_are_py_fsrs_ones():
    assert fsrs_params.bounds_problem(DEFAULTS) is None
    assert "w20" in fsrs_params.bounds_problem((*DEFAULTS[:20], 5.0))


def test_stats_show_the_parameters_in_use_and_each_cards_predicted_recall(home, capsys):
    assert main(["stats", "--home", str(home), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["parameters"] == {"source": "defaults"}
    code, out, _ = run(home, "--json", "--apply", "future", capsys=capsys)
    (fit,) = json.loads(out)["fits"]
    assert main(["stats", "--home", str(home), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    p = st["parameters"]
    assert p["source"] == "fitted" and p["parameters"] == fit["parameters"] and p["reviews"] == fit["items"]
    assert p["log_loss_before"] == pytest.approx(fit["baseline"]["log_loss"])
    assert p["log_loss_after"] == pytest.approx(fit["fitted"]["log_loss"])
    ws = Workspace.open(home)
    states = ws.store.states()
    r = st["retrievability"]
    assert len(r) == sum(1 for s in states.values() if not s.suspended)
    # each card's figure is FSRS-6's forgetting curve under the fitted parameters at the study days elapsed
    w = fit["parameters"]
    factor = 0.9 ** (-1 / w[20]) - 1
    now = datetime.now(UTC)
    for key in list(r)[:20]:
        s = states[key]
        t = study_days_between(s.last_review, now, 4)
        assert r[key] == pytest.approx((1 + factor * t / s.stability) ** -w[20], rel=1e-6)
    assert st["predicted_retention"] == pytest.approx(sum(r.values()) / len(r))
    ws.close()
    assert main(["stats", "--home", str(home)]) == 0
    text = capsys.readouterr().out
    assert f"fitted on {fit['items']} reviews" in text and "predicted recall today:" in text


def test_answers_stamped_after_the_clock_still_rebuild_exactly(home, capsys, monkeypatch):
    """A clock set back: the log's newest answer is later than 'now'. The event goes after it, so a rebuild
    crosses it after every answer it was computed from (the first version logged it before that answer, and
    a rebuild of such a log moved a card's due date by a day)."""
    root = home
    ws = Workspace.open(root)
    newest = max(e.reviewed_at for e in ws.store.reviews())
    ws.close()
    monkeypatch.setattr("gistquiz.scheduler.utcnow", lambda: newest - timedelta(hours=3))
    code, _, _ = run(root, "--apply", "reschedule", capsys=capsys)
    ws = Workspace.open(root)
    (event,) = ws.store.parameter_events()
    assert code == 0 and datetime.fromisoformat(event[1]) > newest
    assert rebuild(ws.store, ws.scheduler, dry_run=True).changed == []
    ws.close()


def test_without_named_decks_each_deck_with_enough_history_is_fitted_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gistquiz.optimize.MIN_ITEMS", 150)  # two small decks instead of two big ones
    root = tmp_path / "home"
    make_home(root, WEAK_MEMORY, cards=110, days=40, new_per_day=10, decks=2)
    code, out, _ = run(root, "--json", "--apply", "future", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert [f["deck"] for f in report["fits"]] == [None, "d0", "d1"]
    whole, *decks = report["fits"]
    assert whole["items"] == sum(f["items"] for f in decks)
    # The fit for all decks wins (held-out log loss 0.491 -> 0.461); each deck's own fit is judged against
    # it and, the memory being the same in both decks, does not beat it: no deck gets parameters of its own.
    assert whole["better"]
    assert all(f["baseline_name"] == "all-decks fit" and not f["better"] for f in decks)
    ws = Workspace.open(root)
    stored = {e[2] for e in ws.store.parameter_events()}
    assert stored == {f["deck"] for f in report["fits"] if f["better"]}
    assert rebuild(ws.store, ws.scheduler, dry_run=True).changed == []
    ws.close()


@pytest.mark.parametrize(("typed", "mode"), [("", "future"), ("f", "future"), ("R", "reschedule"), ("n", None)])
def test_the_question_before_applying(typed, mode, monkeypatch):
    from gistquiz.schedule_commands import _ask

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert _ask(False, read=lambda prompt: typed) == mode


def test_end_of_input_at_the_question_applies_nothing(monkeypatch):
    from gistquiz.schedule_commands import _ask

    def eof(prompt):
        raise EOFError

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert _ask(False, read=eof) is None
