"""The learning-rate demo: a crawling rate, a good one and one that blows up or stalls, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import learning_rate
import numpy as np
import pytest
import tiny_cnn
from digits import load

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "learning_rate.py"
FAST = {"steps": 20, "filters": 2, "hidden": 8, "lr_low": 1e-3, "lr_high": 1.0}


@pytest.fixture(scope="module")
def fast_result() -> learning_rate.LearningRateResult:
    return learning_rate.run(seed=1, **FAST)


def test_rate_grid_spans_the_range_in_equal_factors():
    assert np.allclose(learning_rate.rate_grid(1e-4, 10.0, 1), 10.0 ** np.arange(-4, 2))
    assert np.allclose(learning_rate.rate_grid(1e-3, 1e-1, 2), 1e-3 * np.sqrt(10.0) ** np.arange(5))
    assert np.allclose(learning_rate.rate_grid(0.1, 0.1, 3), [0.1])


def test_label_entropy_is_the_log_loss_of_predicting_the_class_frequencies():
    from sklearn.metrics import log_loss

    y = load().y_train
    frequencies = np.bincount(y) / len(y)
    assert abs(learning_rate.label_entropy(y) - log_loss(y, np.tile(frequencies, (len(y), 1)))) < 1e-12


def test_mean_loss_matches_scikit_learn_log_loss_of_the_softmax():
    from sklearn.metrics import log_loss

    data = load()
    weights = tiny_cnn.init_weights(np.random.default_rng(0), filters=3, hidden=8)
    x, y = data.x_train[:50], data.y_train[:50]
    scores, _ = tiny_cnn.forward(weights, x, {"p": 0.0, "mode": "test"})
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert abs(learning_rate.mean_loss(weights, x, y) - log_loss(y, p, labels=range(10))) < 1e-12


def test_a_tiny_gradient_step_lowers_the_loss_by_eta_times_the_squared_gradient_norm():
    # First-order Taylor: L(w - eta g) - L(w) = -eta |g|^2 + O(eta^2), the basis of the demo's prediction.
    data = load()
    rng = np.random.default_rng(2)
    weights = tiny_cnn.init_weights(rng, filters=3, hidden=8)
    weights["b1"] = rng.normal(0.0, 0.1, size=3)  # off the ReLU kink of blank pixels
    x, y = data.x_train[:64], data.y_train[:64]
    _, grads = tiny_cnn.loss_and_grads(weights, x, y, {"p": 0.0, "mode": "train"})
    eta = 1e-4
    stepped = {k: w - eta * grads[k] for k, w in weights.items()}
    drop = learning_rate.mean_loss(weights, x, y) - learning_rate.mean_loss(stepped, x, y)
    predicted = eta * learning_rate.squared_gradient_norm(weights, x, y)
    assert abs(drop / predicted - 1.0) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_settings_crawl_at_the_smallest_rate_learn_in_between_and_stall_at_chance_at_the_largest(
    seed,
):
    from sklearn.metrics import log_loss

    result = learning_rate.run(seed=seed)
    runs = result.runs
    finals = np.array([r.final_loss for r in runs])
    best = int(np.nanargmin(finals))
    y = load().y_train
    chance = log_loss(y, np.tile(np.bincount(y) / len(y), (len(y), 1)))  # the best loss that ignores the input
    L0 = result.initial_loss
    # a rate in between reaches a low loss: below 0.3 nats, an eighth of chance
    assert 0 < best < len(runs) - 1
    assert finals[best] < 0.3
    # the smallest rate has barely moved: less than a tenth of the way the best rate went ...
    drop = L0 - runs[0].final_loss
    assert 0 < drop < 0.1 * (L0 - finals[best])
    # ... and by about the first-order amount eta * T * |grad L(w0)|^2 (a little less: the gradient shrinks)
    predicted = runs[0].lr * result.params["steps"] * result.initial_grad_norm_sq
    assert 0.5 < drop / predicted < 1.2
    # the largest rate ends no better than a network that ignores its input (or overflows)
    assert not np.isfinite(runs[-1].final_loss) or runs[-1].final_loss >= 0.95 * chance


def test_run_is_deterministic_for_a_seed(fast_result):
    again = learning_rate.run(seed=1, **FAST)
    other = learning_rate.run(seed=2, **FAST)
    assert [r.final_loss for r in again.runs] == [r.final_loss for r in fast_result.runs]
    assert [r.final_loss for r in other.runs] != [r.final_loss for r in fast_result.runs]


def test_every_rate_sees_the_same_initial_loss_on_its_first_mini_batch(fast_result):
    first = [r.step_loss[0] for r in fast_result.runs]
    assert np.allclose(first, first[0], rtol=0, atol=0)


def test_report_has_a_curve_per_rate_and_the_final_loss_against_rate(fast_result):
    rep = learning_rate.report(fast_result)
    rates = [r.lr for r in fast_result.runs]
    assert rep.plots[0].log_y and rep.plots[1].log_x
    assert len(rep.plots[0].series) == len(rates)
    assert rep.series["final loss"].x == rates
    assert rep.metrics["smallest_lr"] == rates[0] and rep.metrics["largest_lr"] == rates[-1]
    assert len(rep.tables[0].rows) == len(rates)


def test_script_prints_json_with_the_final_losses():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "learning_rate"
    assert len(result["series"]["final loss"]["y"]) == 4
    assert result["metrics"]["chance_loss"] > 2.0


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--per-decade", "0"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "per_decade" in out.stderr
