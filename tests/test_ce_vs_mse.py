"""The cross-entropy-vs-MSE demo: gradients against closed forms, a numerical gradient and the explicit Jacobian."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ce_vs_mse
import numpy as np
import pytest
from layers import eval_numerical_gradient, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "ce_vs_mse.py"


@pytest.mark.parametrize("d", [0.0, 0.5, 3.0, 10.0, 30.0])
def test_two_class_gradient_norms_equal_the_closed_forms(d: float):
    z, y = ce_vs_mse.two_class_logits(d), np.array([0])
    ce_closed, mse_closed = ce_vs_mse.closed_form_norms(d)
    assert rel_error(np.linalg.norm(ce_vs_mse.cross_entropy(z, y)[1]), ce_closed) < 1e-12
    # MSE's J (p - y) subtracts nearly equal terms once p saturates: 6e-9 relative at d = 30
    assert rel_error(np.linalg.norm(ce_vs_mse.squared_error(z, y)[1]), mse_closed) < 1e-7


def test_gradients_match_a_numerical_gradient_with_ten_classes():
    rng = np.random.default_rng(0)
    z, y = 2 * rng.normal(size=(6, 10)), rng.integers(0, 10, size=6)
    for loss in (ce_vs_mse.cross_entropy, ce_vs_mse.squared_error):
        numerical = eval_numerical_gradient(lambda v, loss=loss: loss(v, y)[0], z.copy())
        # 1.8e-7 for cross-entropy's smallest entries (~1e-3): the centred difference's round-off, not a bug
        assert rel_error(loss(z, y)[1], numerical) < 1e-6, loss.__name__


def test_mse_gradient_is_the_softmax_jacobian_times_the_residual():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    p = ce_vs_mse.softmax(z)
    expected = np.stack([(np.diag(p[n]) - np.outer(p[n], p[n])) @ (p[n] - np.eye(5)[y[n]]) for n in range(4)]) / 4
    assert rel_error(ce_vs_mse.squared_error(z, y)[1], expected) < 1e-12


def test_cross_entropy_stays_finite_when_the_softmax_underflows():
    loss, grad = ce_vs_mse.cross_entropy(np.array([[0.0, 800.0]]), np.array([0]))
    assert loss == pytest.approx(800.0) and np.allclose(grad, [[-1.0, 1.0]])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_mse_lags_at_the_same_rate_and_leaves_confident_mistakes_at_its_best(seed: int):
    m = ce_vs_mse.report(ce_vs_mse.run(seed=seed)).metrics
    assert m["mse_grad_norm_d10"] < 1e-3 * m["ce_grad_norm_d10"]
    assert m["confidently_wrong_start"] > 500  # the start really is saturated
    assert m["ce_test_accuracy_same_lr"] - m["mse_test_accuracy_same_lr"] > 0.15
    assert abs(m["ce_test_accuracy"] - m["mse_test_accuracy"]) < 0.03  # at its best rate MSE catches up ...
    assert m["mse_confidently_wrong"] >= 5 and m["ce_confidently_wrong"] <= 1  # ... except on these


def test_script_prints_json_and_refuses_a_bad_parameter():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--steps", "5"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["demo"] == "ce_vs_mse"
    bad = subprocess.run([sys.executable, str(SCRIPT), "--steps", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "steps" in bad.stderr
