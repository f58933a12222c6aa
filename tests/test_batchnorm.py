"""The batch-norm demo: its stated targets, a whole-network gradient check, PyTorch, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import batchnorm
import numpy as np
import pytest
from layers import eval_numerical_gradient, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "batchnorm.py"
FAST = {"steps": 40, "tiny_steps": 20, "width": 16, "depth": 2, "eval_every": 10}


def small_bn_net(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], list[dict]]:
    """A 6 -> 5 -> 4 -> 3 MLP with batch norm, at a random point (gamma, beta and biases not at their init)."""
    weights = batchnorm.with_batchnorm(batchnorm.init_mlp(rng, [6, 5, 4, 3], std=1.0))
    for k in weights:
        if not k.startswith("W"):
            weights[k] = weights[k] + rng.normal(0.0, 0.5, size=weights[k].shape)
    return weights, [{"mode": "train"} for _ in range(2)]


def biases_before_batchnorm(weights: dict[str, np.ndarray]) -> set[str]:
    """The biases of the layers that feed a batch norm: the hidden layers' (the output layer has none after it)."""
    return {f"b{k}" for k in range(1, batchnorm.hidden_layers(weights) + 1)}


def assert_zero_gradient(analytic: np.ndarray, numerical: np.ndarray, loss: float, name: str, h: float = 1e-5) -> None:
    """A bias just before batch norm has a true gradient of exactly zero (BN subtracts the batch mean).

    Both gradients are then round-off, so their relative error means nothing: a centred difference carries
    an error of about eps * |loss| / h. Both must be zero to within a thousand times that.
    """
    tol = 1e3 * np.finfo(np.float64).eps * max(1.0, abs(loss)) / h  # ~2e-8 for a loss near 1
    assert np.max(np.abs(analytic)) < tol, (name, float(np.max(np.abs(analytic))), tol)
    assert np.max(np.abs(numerical)) < tol, (name, float(np.max(np.abs(numerical))), tol)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_each_net_at_its_best_rate_bn_needs_several_times_fewer_steps(seed: int):
    m = batchnorm.report(batchnorm.run(seed=seed)).metrics
    assert m["steps_ratio"] is not None and m["steps_ratio"] >= 4, m
    # Santurkar's run: the injected noise moves the layer inputs more than the plain net's own drift,
    # yet BN with it still needs fewer steps than the plain net at its best rate.
    assert m["input_shift_noisy_bn"] > 2 * m["input_shift_bn"] and m["input_shift_noisy_bn"] > m["input_shift_plain"]
    assert m["steps_to_90_noisy_bn"] is not None and m["steps_to_90_noisy_bn"] < m["steps_to_90_plain"]
    assert m["tiny_init_accuracy_plain"] <= 0.15
    assert m["tiny_init_accuracy_bn"] >= 0.5


def test_bn_mlp_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    weights, bn_params = small_bn_net(rng)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    _, grads = batchnorm.loss_and_grads(weights, x, y, bn_params)

    def loss(_: np.ndarray) -> float:
        return batchnorm.loss_and_grads(weights, x, y, bn_params)[0]

    assert set(grads) == set(weights)
    loss_value = loss(None)
    before_bn = biases_before_batchnorm(weights)
    assert before_bn == {"b1", "b2"}
    for name, w in weights.items():
        numerical = eval_numerical_gradient(loss, w)
        if name in before_bn:
            assert_zero_gradient(grads[name], numerical, loss_value, name)
        else:
            assert rel_error(grads[name], numerical) < 1e-6, name


def test_the_zero_gradient_check_catches_a_planted_error():
    rng = np.random.default_rng(0)
    weights, bn_params = small_bn_net(rng)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    loss_value, grads = batchnorm.loss_and_grads(weights, x, y, bn_params)
    numerical = eval_numerical_gradient(lambda _: batchnorm.loss_and_grads(weights, x, y, bn_params)[0], weights["b2"])
    assert_zero_gradient(grads["b2"], numerical, loss_value, "b2")  # the true one passes
    planted = grads["b2"].copy()
    planted[0] += 1e-3
    with pytest.raises(AssertionError):
        assert_zero_gradient(planted, numerical, loss_value, "b2")


def test_plain_mlp_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    weights = batchnorm.init_mlp(rng, [6, 5, 4, 3], std=1.0)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    _, grads = batchnorm.loss_and_grads(weights, x, y, None)

    def loss(_: np.ndarray) -> float:
        return batchnorm.loss_and_grads(weights, x, y, None)[0]

    for name, w in weights.items():
        assert rel_error(grads[name], eval_numerical_gradient(loss, w)) < 1e-6, name


def test_bn_mlp_equals_the_same_torch_network_in_train_and_eval_mode():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    weights, bn_params = small_bn_net(rng)
    layers = []
    for k in (1, 2):
        linear = torch.nn.Linear(*weights[f"W{k}"].shape, dtype=torch.float64)
        bn = torch.nn.BatchNorm1d(weights[f"W{k}"].shape[1], dtype=torch.float64)
        layers += [linear, bn, torch.nn.Sigmoid()]
    layers.append(torch.nn.Linear(*weights["W3"].shape, dtype=torch.float64))
    net = torch.nn.Sequential(*layers)
    linears, norms = net[0::3], net[1::3]
    with torch.no_grad():
        for k, linear in enumerate(linears, start=1):
            linear.weight.copy_(torch.tensor(weights[f"W{k}"].T))
            linear.bias.copy_(torch.tensor(weights[f"b{k}"]))
        for k, norm in enumerate(norms, start=1):
            norm.weight.copy_(torch.tensor(weights[f"gamma{k}"]))
            norm.bias.copy_(torch.tensor(weights[f"beta{k}"]))
    for _ in range(3):
        x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
        loss, grads = batchnorm.loss_and_grads(weights, x, y, bn_params)
        net.zero_grad()
        loss_t = torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y))
        loss_t.backward()
        assert rel_error(loss, loss_t.item()) < 1e-10
        for k, linear in enumerate(linears, start=1):
            assert rel_error(grads[f"W{k}"], linear.weight.grad.numpy().T) < 1e-10
        for k, norm in enumerate(norms, start=1):
            assert rel_error(grads[f"gamma{k}"], norm.weight.grad.numpy()) < 1e-10
            assert rel_error(bn_params[k - 1]["running_var"], norm.running_var.numpy()) < 1e-10
    net.eval()
    x_test = rng.normal(size=(10, 6))
    scores, _ = batchnorm.mlp_forward(weights, x_test, bn_params, mode="test")
    assert rel_error(scores, net(torch.tensor(x_test)).detach().numpy()) < 1e-10


def test_every_run_of_the_sweep_starts_from_the_same_weights_and_batches(monkeypatch):
    calls = []
    real_train = batchnorm.train

    def recording_train(weights, batchnorm_on, data, batches, lr, *args, **kwargs):
        calls.append(({k: v.copy() for k, v in weights.items()}, batchnorm_on, batches.copy(), lr))
        return real_train(weights, batchnorm_on, data, batches, lr, *args, **kwargs)

    monkeypatch.setattr(batchnorm, "train", recording_train)
    batchnorm.run(seed=0, **FAST)
    sweep = [c for c in calls if c[3] in batchnorm.LRS][: 2 * len(batchnorm.LRS)]
    assert [(on, lr) for _, on, _, lr in sweep] == [(False, lr) for lr in batchnorm.LRS] + [
        (True, lr) for lr in batchnorm.LRS
    ]
    first_w, _, first_batches, _ = sweep[0]
    for w, _, batches, _ in sweep[1:]:
        assert all(np.array_equal(first_w[k], w[k]) for k in first_w)
        assert np.array_equal(first_batches[: len(batches)], batches)  # a pruned run sees a prefix
    tiny_std = np.std(calls[-1][0]["W2"])
    assert tiny_std == pytest.approx(0.01, rel=0.2)


def test_a_sweep_run_stops_once_it_can_no_longer_be_the_fastest():
    data = batchnorm.standardised_digits(np.float32)
    rng = np.random.default_rng(0)
    initial = batchnorm.init_mlp(rng, [64, 32, 32, 10], 1.0, np.float32)
    batches = rng.integers(0, len(data[1]), size=(300, 60))
    curves = batchnorm.sweep(initial, True, data, batches, [3.0, 0.01], 25)
    assert curves[0].steps_to_target is not None
    assert curves[1].steps_to_target is None and curves[1].steps[-1] == curves[0].steps_to_target
    assert batchnorm.best(curves) is curves[0]


def test_noise_after_batchnorm_is_part_of_the_checked_gradient():
    rng = np.random.default_rng(4)
    weights, bn_params = small_bn_net(rng)
    noise = batchnorm.sample_noise(rng, 2, 5, 1.0, np.float64)[:1] + [(rng.uniform(1, 2, 4), rng.uniform(-1, 1, 4))]
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    _, grads = batchnorm.loss_and_grads(weights, x, y, bn_params, noise)
    for name in ("W1", "gamma1", "gamma2", "W3"):
        numerical = eval_numerical_gradient(
            lambda _: batchnorm.loss_and_grads(weights, x, y, bn_params, noise)[0], weights[name]
        )
        assert rel_error(grads[name], numerical) < 1e-6, name


def test_bn_net_adds_unit_gamma_and_zero_beta_to_the_shared_weights():
    weights = batchnorm.init_mlp(np.random.default_rng(3), [4, 3, 3, 2], std=1.0)
    bn = batchnorm.with_batchnorm(weights)
    assert all(np.array_equal(bn[k], v) for k, v in weights.items())
    assert sorted(set(bn) - set(weights)) == ["beta1", "beta2", "gamma1", "gamma2"]
    assert np.all(bn["gamma1"] == 1.0) and np.all(bn["beta2"] == 0.0)


def test_run_is_deterministic_for_a_seed():
    a, b = batchnorm.run(seed=5, **FAST), batchnorm.run(seed=5, **FAST)
    assert a == b


def test_script_prints_json_with_the_headline_metrics():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    metrics = json.loads(out.stdout)["metrics"]
    assert {"steps_ratio", "steps_to_90_noisy_bn", "tiny_init_accuracy_bn", "tiny_init_accuracy_plain"} <= set(metrics)
    assert 0.0 <= metrics["tiny_init_accuracy_bn"] <= 1.0


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--lr", "-1"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "lr" in out.stderr
