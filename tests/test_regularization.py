"""The regularization demo: its proximal step and gradient, L1 and L2 against scikit-learn at the matching C,
the zero noise weights under L1 only, the test accuracies over seeds, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import regularization
from layers import eval_numerical_gradient, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "regularization.py"
FAST = {"train_size": 150, "noise_features": 20, "steps": 300, "compare_sklearn": False}


@pytest.fixture(scope="module")
def default_result() -> regularization.RegularizationResult:
    return regularization.run(seed=0, compare_sklearn=True)


def demo_data(seed: int, train_size: int = 400, noise_features: int = 64):
    """The inputs ``run(seed)`` trains on: the data are the first thing drawn from its generator."""
    return regularization.odd_digits_with_noise(np.random.default_rng(seed), train_size, noise_features)


def sklearn_fit(X: np.ndarray, y: np.ndarray, C: float, l1_ratio: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    solver = "saga" if l1_ratio == 1 else "lbfgs"
    model = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-8, max_iter=100_000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated penalty= argument, no convergence warning
        model.fit(X, y)
    return model.coef_[0], float(model.intercept_[0])


def test_soft_threshold_is_the_minimiser_of_the_l1_proximal_problem():
    grid = np.linspace(-4, 4, 800_001)  # spacing 1e-5
    for v in [-2.5, -0.3, 0.0, 0.29, 0.31, 1.7]:
        brute = grid[np.argmin(0.5 * (grid - v) ** 2 + 0.3 * np.abs(grid))]
        assert abs(regularization.soft_threshold(np.array([v]), 0.3)[0] - brute) < 1e-5
    assert np.all(regularization.soft_threshold(np.array([-0.3, 0.1, 0.3]), 0.3) == 0.0)


def test_log_loss_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 6)), rng.integers(0, 2, size=30)
    w, b = rng.normal(size=6), 0.3
    g_w, g_b = regularization.log_loss_grad(w, b, X, y)
    assert rel_error(g_w, eval_numerical_gradient(lambda v: regularization.mean_log_loss(v, b, X, y), w)) < 1e-7
    g_b_numerical = eval_numerical_gradient(lambda c: regularization.mean_log_loss(w, c[0], X, y), np.array([b]))
    assert rel_error(g_b, g_b_numerical) < 1e-7


def test_mean_log_loss_equals_sklearn_log_loss():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 4)), rng.integers(0, 2, size=50)
    w, b = rng.normal(size=4), -0.2
    p = regularization.sigmoid(X @ w + b)
    assert abs(regularization.mean_log_loss(w, b, X, y) - log_loss(y, p)) < 1e-12


@pytest.mark.parametrize(
    "seed, train_size, noise_features, l1", [(0, 400, 64, 0.03), (1, 400, 64, 0.03), (2, 250, 40, 0.02)]
)
def test_l1_zeroes_the_same_weights_as_sklearn_saga_at_c_equal_1_over_n_l1(seed, train_size, noise_features, l1):
    X, y, _, _ = demo_data(seed, train_size, noise_features)
    w, b = regularization.fista(X, y, l1, 0.0, 2000)
    w_sk, b_sk = sklearn_fit(X, y, C=1.0 / (train_size * l1), l1_ratio=1.0)
    assert np.array_equal(w == 0, w_sk == 0)
    assert np.sum(w == 0) > noise_features  # most noise weights and some pixels
    assert np.max(np.abs(w - w_sk)) < 1e-4
    J, J_sk = (regularization.objective(v, c, X, y, l1, 0.0) for v, c in [(w, b), (w_sk, b_sk)])
    assert abs(J - J_sk) < 1e-8


def test_l2_weights_equal_sklearn_lbfgs_at_c_equal_1_over_n_l2():
    X, y, _, _ = demo_data(0)
    w, b = regularization.fista(X, y, 0.0, 0.1, 2000)
    w_sk, b_sk = sklearn_fit(X, y, C=1.0 / (len(y) * 0.1), l1_ratio=0.0)
    assert np.max(np.abs(w - w_sk)) < 1e-5
    assert abs(b - b_sk) < 1e-5
    assert np.all(w[np.any(X != 0, axis=0)] != 0)  # L2 zeroes no weight of a non-blank input


def test_only_proximal_l1_sets_noise_weights_to_exactly_zero(default_result):
    m = regularization.report(default_result).metrics
    assert m["noise_zeros_l1"] >= 0.9 * m["noise_weights"]
    for name in ("none", "l2", "dropout", "l1_subgradient"):
        assert m[f"noise_zeros_{name}"] == 0, name
    assert m["noise_mean_abs_w_l2"] < m["noise_mean_abs_w_none"] / 10
    assert m["noise_mean_abs_w_dropout"] < m["noise_mean_abs_w_none"] / 10
    assert m["sklearn_same_zeros"] == 1


def test_report_draws_pixel_and_noise_weights_for_four_models(default_result):
    rep = regularization.report(default_result)
    assert len(rep.images) == 8
    assert all(np.shape(im.pixels) == (8, 8) for im in rep.images)
    assert len(rep.tables[0].rows) == 5


@pytest.mark.slow
def test_every_regulariser_beats_no_penalty_median_over_seeds_0_to_4():
    metrics = [regularization.report(regularization.run(seed=s, compare_sklearn=False)).metrics for s in range(5)]

    def median(key: str) -> float:
        return float(np.median([m[key] for m in metrics]))

    for name in ("l1", "l2", "dropout"):
        assert median(f"test_accuracy_{name}") > median("test_accuracy_none"), name
    # Dropout: a model that never could count on one input loses less when half of them are deleted.
    assert median("deleted_inputs_accuracy_dropout") >= median("deleted_inputs_accuracy_none") + 0.03
    assert all(m["noise_zeros_dropout"] == 0 for m in metrics)


def test_run_is_deterministic_for_a_seed():
    a, b, c = (regularization.run(seed=s, **FAST) for s in (5, 5, 6))
    assert np.array_equal(a.fits["dropout"].w, b.fits["dropout"].w)
    assert not np.array_equal(a.fits["dropout"].w, c.fits["dropout"].w)


def test_script_prints_json_with_the_zero_counts():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "regularization"
    assert result["metrics"]["noise_weights"] == FAST["noise_features"]
    assert "sklearn_same_zeros" not in result["metrics"]


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--dropout", "1.5"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "dropout" in out.stderr
