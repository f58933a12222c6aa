"""Batch normalization makes a deep network converge in far fewer steps, and learn at all from tiny initial weights.

Batch normalization (Ioffe & Szegedy 2015) standardises every pre-activation
over the mini-batch, ``x_hat = (x - mean) / sqrt(var + eps)``, then rescales
it with learned ``gamma`` and ``beta``. Each layer's input then keeps the same
distribution however the layers below change ("internal covariate shift"),
and the sigmoids stay in their steep middle region, where gradients are
largest, so the network learns faster.

The demo trains the same deep MLP twice, plain and with batch norm before
every sigmoid, from the **same initial weights** on the same mini-batches:

    64 pixels -> [affine -> (batch norm) -> sigmoid] x depth -> affine -> softmax

with plain SGD on the 8x8 digits (standardised pixels, 80/20 split). It counts
the SGD steps each net needs to reach 90% test accuracy (test accuracy uses the
running statistics, PyTorch's ``BatchNorm1d`` conventions).

Second scenario: start every weight from N(0, 0.01). Without batch norm the
signal shrinks layer after layer until every hidden unit outputs 0.5 whatever
the input: the gradients vanish and the plain net stays at chance (10%).
Batch norm rescales the tiny pre-activations back to unit variance, so the
same net learns.

References: Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep
Network Training by Reducing Internal Covariate Shift" (their MNIST experiment
used sigmoid MLPs like this one); CS231n assignment 2; PyTorch ``BatchNorm1d``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from digits import load
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_cross_entropy,
)

PARAMS = [
    Param("steps", 1000, "SGD steps per net in the first scenario", low=10, high=20000),
    Param("tiny_steps", 300, "SGD steps per net in the tiny-init scenario", low=10, high=20000),
    Param("lr", 0.1, "SGD learning rate", low=1e-4, high=10.0),
    Param("batch_size", 60, "images per SGD step (drawn with replacement)", low=2, high=1437),
    Param("depth", 5, "hidden sigmoid layers", low=1, high=20),
    Param("width", 64, "units per hidden layer", low=2, high=1000),
    Param("init_std", 1.0, "std of the N(0, std^2) initial weights in the first scenario", low=1e-4, high=10.0),
    Param("tiny_init_std", 0.01, "std of the initial weights in the tiny-init scenario", low=1e-6, high=1.0),
    Param("eval_every", 25, "steps between test-accuracy evaluations", low=1, high=1000),
]

TARGET = 0.9
"""The test accuracy whose first crossing is counted (``steps_to_90_*``)."""
CLASSES = 10


def init_mlp(rng: np.random.Generator, sizes: list[int], std: float) -> dict[str, np.ndarray]:
    """Weights ``W1..WL`` ~ N(0, std^2) and zero biases for layer sizes ``[64, width, ..., 10]``."""
    weights = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        weights[f"W{layer}"] = rng.normal(0.0, std, size=(fan_in, fan_out))
        weights[f"b{layer}"] = np.zeros(fan_out)
    return weights


def hidden_layers(weights: dict[str, np.ndarray]) -> int:
    return sum(k.startswith("W") for k in weights) - 1


def with_batchnorm(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A copy of ``weights`` plus ``gamma = 1`` and ``beta = 0`` for every hidden layer.

    The biases before batch norm are kept, although batch norm subtracts them
    again (their gradient is 0), so that both nets start from literally the
    same weights; batch norm only adds its own scale and shift.
    """
    bn = {k: v.copy() for k, v in weights.items()}
    for layer in range(1, hidden_layers(weights) + 1):
        width = weights[f"b{layer}"].shape[0]
        bn[f"gamma{layer}"] = np.ones(width)
        bn[f"beta{layer}"] = np.zeros(width)
    return bn


def mlp_forward(
    weights: dict[str, np.ndarray], x: np.ndarray, bn_params: list[dict] | None, mode: str = "train"
) -> tuple[np.ndarray, list]:
    """Class scores (N, 10) of the MLP for inputs ``x`` (N, 64), and the caches for :func:`mlp_backward`.

    Parameters
    ----------
    bn_params : one ``bn_param`` dict per hidden layer (running statistics, updated
        in train mode), or None for the plain net
    mode : 'train' (batch statistics) or 'test' (running statistics)
    """
    hidden = hidden_layers(weights)
    h, caches = x, []
    for layer in range(1, hidden + 1):
        a, affine_cache = affine_forward(h, weights[f"W{layer}"], weights[f"b{layer}"])  # (N, width)
        bn_cache = None
        if bn_params is not None:
            bn_param = bn_params[layer - 1] if mode == "train" else {**bn_params[layer - 1], "mode": "test"}
            a, bn_cache = batchnorm_forward(a, weights[f"gamma{layer}"], weights[f"beta{layer}"], bn_param)
        h, sigmoid_cache = sigmoid_forward(a)
        caches.append((affine_cache, bn_cache, sigmoid_cache))
    out = hidden + 1
    scores, affine_cache = affine_forward(h, weights[f"W{out}"], weights[f"b{out}"])  # (N, 10)
    caches.append(affine_cache)
    return scores, caches


def mlp_backward(dscores: np.ndarray, caches: list) -> dict[str, np.ndarray]:
    """Gradients of every weight (and every gamma, beta) from ``dscores`` (N, 10)."""
    grads = {}
    out = len(caches)
    dh, grads[f"W{out}"], grads[f"b{out}"] = affine_backward(dscores, caches[-1])
    for layer in range(out - 1, 0, -1):
        affine_cache, bn_cache, sigmoid_cache = caches[layer - 1]
        da = sigmoid_backward(dh, sigmoid_cache)
        if bn_cache is not None:
            da, grads[f"gamma{layer}"], grads[f"beta{layer}"] = batchnorm_backward(da, bn_cache)
        dh, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(da, affine_cache)
    return grads


def loss_and_grads(
    weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, bn_params: list[dict] | None
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean softmax cross-entropy of a batch (train mode) and its gradient with respect to every weight."""
    scores, caches = mlp_forward(weights, x, bn_params)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches)


def accuracy(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, bn_params: list[dict] | None) -> float:
    scores, _ = mlp_forward(weights, x, bn_params, mode="test")
    return float(np.mean(scores.argmax(axis=1) == y))


@dataclass
class Curve:
    """One training run, evaluated every ``eval_every`` steps."""

    steps: list[int]
    test_accuracy: list[float]
    train_loss: list[float]
    """Mean training loss over the steps since the previous evaluation."""
    steps_to_target: int | None
    """First evaluated step with test accuracy >= ``TARGET`` (None if never)."""


def train(
    weights: dict[str, np.ndarray],
    batchnorm: bool,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    batches: np.ndarray,
    lr: float,
    eval_every: int,
    progress: Progress | None = None,
    progress_offset: int = 0,
    progress_total: int = 0,
    label: str = "",
) -> Curve:
    """Plain SGD over the index ``batches`` (steps, batch_size) from ``weights`` (not modified)."""
    x_train, y_train, x_test, y_test = data
    bn_params = [{"mode": "train"} for _ in range(hidden_layers(weights))] if batchnorm else None
    weights = with_batchnorm(weights) if batchnorm else {k: v.copy() for k, v in weights.items()}
    curve = Curve([], [], [], None)
    losses = []
    for step, batch in enumerate(batches, start=1):
        loss, grads = loss_and_grads(weights, x_train[batch], y_train[batch], bn_params)
        for k, g in grads.items():
            weights[k] -= lr * g
        losses.append(loss)
        if step % eval_every == 0 or step == len(batches):
            acc = accuracy(weights, x_test, y_test, bn_params)
            curve.steps.append(step)
            curve.test_accuracy.append(acc)
            curve.train_loss.append(float(np.mean(losses)))
            losses = []
            if curve.steps_to_target is None and acc >= TARGET:
                curve.steps_to_target = step
            if progress is not None:
                progress(progress_offset + step, progress_total, loss=curve.train_loss[-1], accuracy=acc, message=label)
    return curve


def standardised_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flattened digits (N, 64), each pixel standardised with the training set's mean and std."""
    d = load()
    x_train = d.x_train.reshape(len(d.x_train), -1)  # (N_train, 64)
    x_test = d.x_test.reshape(len(d.x_test), -1)  # (N_test, 64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0  # pixels that are blank in every training image stay 0
    return (x_train - mean) / std, d.y_train, (x_test - mean) / std, d.y_test


@dataclass
class BatchnormResult(Result):
    runs: dict[str, Curve]
    """Keys ``plain``, ``bn``, ``tiny_plain``, ``tiny_bn``."""


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> BatchnormResult:
    rng = np.random.default_rng(seed)
    data = standardised_digits()
    sizes = [data[0].shape[1], *[p["width"]] * p["depth"], CLASSES]
    runs = {}
    total, done = 2 * (p["steps"] + p["tiny_steps"]), 0
    for scenario, std, steps in [("", p["init_std"], p["steps"]), ("tiny_", p["tiny_init_std"], p["tiny_steps"])]:
        initial = init_mlp(rng, sizes, std)  # shared by the plain and the BN net
        batches = rng.integers(0, len(data[1]), size=(steps, p["batch_size"]))  # the same batches too
        for batchnorm in (False, True):
            name = scenario + ("bn" if batchnorm else "plain")
            label = name.replace("_", " ")
            runs[name] = train(
                initial, batchnorm, data, batches, p["lr"], p["eval_every"], progress, done, total, label
            )
            done += steps
    return BatchnormResult(runs)


def report(result: BatchnormResult) -> Report:
    r = result.runs
    p = result.params
    init, tiny = f"N(0, {p['init_std']:g})", f"N(0, {p['tiny_init_std']:g})"
    bn_steps, plain_steps = r["bn"].steps_to_target, r["plain"].steps_to_target
    bn_text = f"in {bn_steps} steps" if bn_steps is not None else f"not within {p['steps']} steps"
    if plain_steps is not None:
        plain_text = f"the plain net needed {plain_steps}"
    else:
        plain_text = f"the plain net never did in {p['steps']} (it ended at {r['plain'].test_accuracy[-1]:.0%})"
    headline = (
        f"From the same {init} weights, batch norm reached 90% test accuracy {bn_text}; {plain_text}. "
        f"From {tiny} weights, after {p['tiny_steps']} steps the plain net is at "
        f"{r['tiny_plain'].test_accuracy[-1]:.0%} (chance) and the BN net at {r['tiny_bn'].test_accuracy[-1]:.0%}."
    )
    labels = {
        "plain": f"plain, {init} init",
        "bn": f"batch norm, {init} init",
        "tiny_plain": f"plain, {tiny} init",
        "tiny_bn": f"batch norm, {tiny} init",
    }
    series = {}
    for name, curve in r.items():
        series[f"{labels[name]}: test accuracy"] = Series(curve.steps, curve.test_accuracy)
        series[f"{labels[name]}: train loss"] = Series(curve.steps, curve.train_loss)
    plots = [
        Plot(f"{what}, {std} init", [f"{labels[plain]}: {what}", f"{labels[bn]}: {what}"], "SGD step", ylabel)
        for plain, bn, std in [("plain", "bn", init), ("tiny_plain", "tiny_bn", tiny)]
        for what, ylabel in [("test accuracy", "accuracy"), ("train loss", "cross-entropy")]
    ]
    longest = max(p["steps"], p["tiny_steps"])
    checkpoints = [s for s in (100, 250, 500, 1000, 2000, 5000, 10000, 20000) if s <= longest]
    rows = [
        [labels[name], *[accuracy_at(curve, s) for s in checkpoints], curve.steps_to_target]
        for name, curve in r.items()
    ]
    at_steps = [f"@{s}" for s in checkpoints]
    table = Table("test accuracy after n SGD steps", ["net", *at_steps, "steps to 90%"], rows, percent=at_steps)
    return Report(
        headline=headline,
        metrics={
            "steps_to_90_bn": bn_steps,
            "steps_to_90_plain": plain_steps,
            "final_accuracy_bn": r["bn"].test_accuracy[-1],
            "final_accuracy_plain": r["plain"].test_accuracy[-1],
            "tiny_init_accuracy_bn": r["tiny_bn"].test_accuracy[-1],
            "tiny_init_accuracy_plain": r["tiny_plain"].test_accuracy[-1],
        },
        series=series,
        plots=plots,
        tables=[table],
        notes=[
            f"In each scenario both nets start from the same weights and see the same mini-batches of "
            f"{p['batch_size']}; test accuracy is measured every {p['eval_every']} steps.",
            "The BN net is evaluated with its running statistics (momentum 0.1, unbiased variance, as PyTorch).",
            "With tiny weights every plain sigmoid outputs about 0.5 whatever the input, and each layer "
            "multiplies the backward signal by at most 0.25 times a tiny weight: the gradient vanishes.",
        ],
    )


def accuracy_at(curve: Curve, step: int) -> float | None:
    """Test accuracy at the last evaluation at or before ``step`` (None past the end of the run)."""
    if step > curve.steps[-1]:
        return None
    return [acc for s, acc in zip(curve.steps, curve.test_accuracy, strict=True) if s <= step][-1]


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
