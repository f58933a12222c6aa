"""The vanishing-gradients demo: its backprop against a numerical gradient, and its measured effect over seeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import vanishing_gradients as vg
from layers import eval_numerical_gradient, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "vanishing_gradients.py"


@pytest.mark.parametrize(("nonlinearity", "init"), [("sigmoid", "xavier"), ("relu", "he")])
def test_backprop_matches_a_numerical_gradient(nonlinearity: str, init: str):
    rng = np.random.default_rng(0)
    weights = vg.init_mlp(rng, [6, 5, 5, 5, 3], init)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    _, grads, acts = vg.forward_backward(weights, x, y, nonlinearity)
    assert len(acts) == 3
    for name, w in weights.items():

        def loss(_: np.ndarray) -> float:
            return vg.forward_backward(weights, x, y, nonlinearity)[0]

        assert rel_error(grads[name], eval_numerical_gradient(loss, w)) < 1e-6, name


def test_he_init_keeps_the_second_moment_of_relu_preactivations_closed_form():
    # E[a_l^2] = fan_in * (2 / fan_in) * E[h_{l-1}^2] and E[h^2] = E[a^2] / 2 for a symmetric a: constant,
    # at 2 for a unit-variance Gaussian input (E[h_0^2] = 1).
    rng = np.random.default_rng(1)
    weights = vg.init_mlp(rng, [256] * 9, "he")
    h = rng.normal(size=(4000, 256))
    second = []
    for layer in range(1, 9):
        a = h @ weights[f"W{layer}"]
        second.append(float(np.mean(a**2)))
        h = np.maximum(a, 0)
    assert np.allclose(second, 2.0, rtol=0.25), second


def test_histograms_are_shares_that_sum_to_one():
    shares = vg.histogram(np.array([-10.0, -1.0, 0.0, 0.3, 10.0]))
    assert len(shares) == len(vg.BINS) - 1 and sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(0.2) and shares[-1] == pytest.approx(0.2)  # the clipped ends


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_sigmoid_gradient_vanishes_towards_the_input_and_relu_he_keeps_it(seed: int):
    m = vg.report(vg.run(seed=seed)).metrics
    assert m["sigmoid_first_over_last_grad"] < 1e-4
    assert 0.1 < m["he_first_over_last_grad"] < 10
    assert 0.5 < m["he_activation_std_last_over_first"] < 2
    assert m["tiny_activation_std_last"] < 1e-6
    assert m["he_test_accuracy"] > 0.8
    assert m["sigmoid_test_accuracy"] < 0.3 and m["tiny_test_accuracy"] < 0.3
    assert m["sigmoid_first_layer_change"] < 1e-3 * m["he_first_layer_change"]


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--depth", "1"], capture_output=True, text=True)
    assert out.returncode == 2 and "depth" in out.stderr
