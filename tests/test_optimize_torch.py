"""PyTorch as an optional reference for ``gistquiz optimize``'s fit: py-fsrs's own optimizer (Adam on FSRS-6 written
in torch, independent of fsrs-rs) fitted on the same earlier reviews of a synthetic learner also beats the defaults
on the held-out ones, and about as much as fsrs-rs's fit does. Skipped unless torch (and the pandas and tqdm
py-fsrs's optimizer imports) are installed: ``pip install torch pandas tqdm``; never a dependency.

Measured (torch 2.13.0, py-fsrs 6.3.2, this learner: 200 cards, 40 days, seed 0): held-out mean log loss 0.5245
for the defaults, 0.4987 for py-fsrs's fit, 0.4892 for fsrs-rs's; the tolerances below are about twice the gaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from synthetic_learner import WEAK_MEMORY, make_home, utc_zone

from gistquiz import optimize
from gistquiz.fsrs_items import answers, build_items, log_answers
from gistquiz.scheduler import Scheduler
from gistquiz.workspace import Workspace

for _name in ("torch", "pandas", "tqdm"):
    pytest.importorskip(_name)


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    root = tmp_path_factory.mktemp("torch") / "home"
    with utc_zone():
        make_home(root, WEAK_MEMORY, cards=200, days=40, new_per_day=15)
        ws = Workspace.open(root)
        try:
            yield log_answers(ws.store), ws.store.links()
        finally:
            ws.close()


def review_logs(history_by_card, before: datetime):
    """py-fsrs ReviewLogs of the answers given before ``before``, each at noon UTC of its study day (plus a second
    per answer, to keep same-day order): py-fsrs counts whole 24-hour periods, so it then counts study days."""
    from fsrs import Rating, ReviewLog

    logs = []
    for card_id, history in enumerate(history_by_card.values()):
        for k, a in enumerate(history):
            if a.at < before:
                when = datetime.fromordinal(a.day).replace(hour=12, tzinfo=UTC) + timedelta(seconds=k)
                logs.append(ReviewLog(card_id, Rating(a.rating), when, None))
    return logs


def test_py_fsrs_torch_optimizer_also_beats_the_defaults_on_the_held_out_reviews(log):
    from fsrs import Optimizer

    entries, links = log
    with utc_zone():
        items = build_items(entries, links, 4)
        histories = answers(entries, links, 4)
    cut = optimize.time_split(items)
    early, late = items[:cut], items[cut:]
    torch_w = tuple(Optimizer(review_logs(histories, late[0].at)).compute_optimal_parameters())
    defaults = Scheduler().parameters_for("d")
    rs_w = optimize.fit(items, defaults, "defaults", 1).split_parameters

    loss = {
        name: optimize.item_log_losses(w, late).mean()
        for name, w in [("defaults", defaults), ("torch", torch_w), ("fsrs-rs", rs_w)]
    }
    assert optimize.bounds_problem(torch_w) is None
    assert loss["torch"] < loss["defaults"] - 0.01, loss
    assert optimize.significantly_better(torch_w, defaults, late), loss
    assert abs(loss["torch"] - loss["fsrs-rs"]) < 0.02, loss
    assert len(early) >= 512  # py-fsrs's optimizer returns the defaults below 512 reviews: this one fitted
