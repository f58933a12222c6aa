"""The cross-entropy demo: its losses against scikit-learn's log_loss, softmax against sigmoid, its gradient
against finite differences (and PyTorch), the chance-level loss, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import cross_entropy
import numpy as np
import pytest
from layers import eval_numerical_gradient, rel_error, softmax_cross_entropy
from sklearn.metrics import log_loss

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "cross_entropy.py"


def random_predictions(seed: int, N: int, K: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return cross_entropy.softmax(rng.normal(0.0, scale, size=(N, K))), rng.integers(0, K, size=N)


@pytest.fixture(autouse=True)
def warnings_are_errors():
    """A deprecated argument or probabilities that do not sum to 1 would make sklearn warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("scale", [0.1, 3.0, 50.0])  # 50: many probabilities clipped at 0 and 1
@pytest.mark.parametrize("K", [3, 10, 37])
def test_multiclass_cross_entropy_equals_sklearn_log_loss(K, scale):
    for seed in range(3):
        P, y = random_predictions(seed, 500, K, scale)
        assert abs(cross_entropy.cross_entropy(P, y) - log_loss(y, P, labels=np.arange(K))) < 1e-12


@pytest.mark.parametrize("scale", [0.1, 3.0, 50.0])
def test_binary_log_loss_equals_sklearn_and_two_class_cross_entropy(scale):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        p = cross_entropy.sigmoid(rng.normal(0.0, scale, size=500))
        y = rng.integers(0, 2, size=500)
        ours = cross_entropy.binary_log_loss(y, p)
        assert abs(ours - log_loss(y, p, labels=[0, 1])) < 1e-12
        assert abs(ours - cross_entropy.cross_entropy(np.stack([1 - p, p], axis=1), y)) < 1e-12


def test_probabilities_of_exactly_0_and_1_are_clipped_as_sklearn_clips_them():
    p = np.array([0.0, 1.0, 1e-300, 1.0 - 1e-16, 0.5, 1e-17, 1.0, 0.0])
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0])  # the first four are confident mistakes
    ours = cross_entropy.binary_log_loss(y, p)
    assert np.isfinite(ours)
    assert abs(ours - log_loss(y, p)) < 1e-12
    P = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1e-300, 1.0, 0.0], [0.25, 0.25, 0.5]])
    y3 = np.array([1, 1, 0, 2])
    assert abs(cross_entropy.cross_entropy(P, y3) - log_loss(y3, P, labels=[0, 1, 2])) < 1e-12


def test_classes_missing_from_the_labels_still_match_when_sklearn_is_told_the_labels():
    P, _ = random_predictions(4, 200, 6, 2.0)
    y = np.random.default_rng(5).choice([1, 4], size=200)  # classes 0, 2, 3, 5 never occur
    assert abs(cross_entropy.cross_entropy(P, y) - log_loss(y, P, labels=np.arange(6))) < 1e-12


def test_two_class_softmax_is_the_sigmoid_of_the_logit_difference():
    from scipy.special import expit

    z = np.random.default_rng(6).normal(0.0, 10.0, size=(1000, 2))
    assert np.max(np.abs(cross_entropy.softmax(z)[:, 1] - expit(z[:, 1] - z[:, 0]))) < 1e-15
    assert np.max(np.abs(cross_entropy.sigmoid(z[:, 0]) - expit(z[:, 0]))) < 1e-15


def test_gradient_with_respect_to_the_logits_is_p_minus_onehot_over_n():
    rng = np.random.default_rng(7)
    z, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    numerical = eval_numerical_gradient(lambda zz: cross_entropy.cross_entropy(cross_entropy.softmax(zz), y), z)
    analytic = cross_entropy.softmax_cross_entropy_grad(z, y)
    assert rel_error(analytic, numerical) < 1e-7
    loss, dscores = softmax_cross_entropy(z, y)  # the layer the networks train with
    assert rel_error(analytic, dscores) < 1e-12
    assert abs(loss - cross_entropy.cross_entropy(cross_entropy.softmax(z), y)) < 1e-12


def test_loss_and_gradient_match_torch_cross_entropy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    z, y = rng.normal(0.0, 3.0, size=(20, 7)), rng.integers(0, 7, size=20)
    z_t = torch.tensor(z, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(z_t, torch.tensor(y))
    loss_t.backward()
    assert abs(loss_t.item() - cross_entropy.cross_entropy(cross_entropy.softmax(z), y)) < 1e-12
    assert rel_error(z_t.grad.numpy(), cross_entropy.softmax_cross_entropy_grad(z, y)) < 1e-10


@pytest.mark.parametrize("K", [2, 3, 10, 100])
def test_uniform_prediction_scores_ln_k(K):
    y = np.random.default_rng(K).integers(0, K, size=50)
    assert abs(cross_entropy.cross_entropy(np.full((50, K), 1.0 / K), y) - np.log(K)) < 1e-14


def test_demo_at_default_settings_agrees_with_every_reference_including_sklearn():
    m = cross_entropy.report(cross_entropy.run(seed=0, compare_sklearn=True)).metrics
    assert m["multi_class_abs_diff"] < 1e-12
    assert m["binary_abs_diff"] < 1e-12
    assert m["binary_vs_two_class_abs_diff"] < 1e-12
    assert m["softmax_vs_sigmoid_max_diff"] < 1e-15
    assert m["gradient_rel_error"] < 1e-7
    assert abs(m["chance_loss"] - np.log(10)) < 1e-14


def test_loss_curve_is_minus_log_p_from_about_7_down_to_0():
    rep = cross_entropy.report(cross_entropy.run(seed=0, compare_sklearn=False))
    curve = rep.series["-ln p"]
    assert np.allclose(curve.y, -np.log(curve.x), rtol=0, atol=1e-15)
    assert curve.x[-1] == 1.0 and curve.y[-1] == 0.0
    assert np.all(np.diff(curve.y) < 0)
    assert rep.metrics["multi_class_loss_sklearn"] is None


def test_run_is_deterministic_for_a_seed():
    a, b = (cross_entropy.run(seed=3, compare_sklearn=False) for _ in range(2))
    c = cross_entropy.run(seed=4, compare_sklearn=False)
    assert a.multi_loss == b.multi_loss and a.binary_loss == b.binary_loss
    assert a.multi_loss != c.multi_loss


def test_script_prints_json_with_the_comparison():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--samples", "50", "--classes", "4", "--compare-sklearn", "true"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["demo"] == "cross_entropy"
    assert result["metrics"]["multi_class_abs_diff"] < 1e-12
    assert result["params"]["classes"] == 4


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--classes", "2"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "classes" in out.stderr
