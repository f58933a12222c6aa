"""In a deep sigmoid net the gradient shrinks layer by layer towards the input; ReLU with He initialisation keeps it.

Backpropagation multiplies the gradient, layer after layer, by the layer's
weights and by the derivative of its nonlinearity. A sigmoid's derivative
``s (1 - s)`` is at most 1/4, so with weights of the usual size the gradient
reaching the first layers of a deep sigmoid net is many times smaller than at
the last: those layers barely learn (Hochreiter 1991; Glorot & Bengio 2010).
A ReLU's derivative is 1 wherever the unit is active, and He initialisation
(weights ~ N(0, 2 / fan_in)) makes each layer keep the second moment of its
input, ``E[a_l^2] = E[a_{l-1}^2]``: half the units are off, and the factor 2
makes up for it (He et al. 2015). Then the gradient keeps its size too.

The demo builds the same deep MLP on the 8x8 digits three ways:

- sigmoid with Xavier-style weights N(0, 1 / fan_in) (LeCun's "efficient
  backprop" scale),
- ReLU with He weights N(0, 2 / fan_in),
- ReLU with tiny weights N(0, 0.01^2) (the activations collapse to 0),

and shows, at initialisation on one batch, each layer's weight-gradient norm
``||dL/dW_l||`` and a histogram of its activations (CS231n lecture 6's
picture); then it trains each for a few SGD steps and reports test accuracy
and how far each layer's weights moved.

References: Hochreiter 1991; Glorot & Bengio 2010, "Understanding the
difficulty of training deep feedforward neural networks"; He, Zhang, Ren & Sun
2015, "Delving Deep into Rectifiers"; CS231n lecture 6 and notes "Neural
Networks Part 2" (weight initialisation).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from digits import standardised_flat
from harness import Image, Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_cross_entropy,
)

PARAMS = [
    Param("depth", 10, "hidden layers", low=2, high=30),
    Param("width", 64, "units per hidden layer", low=4, high=512),
    Param("batch_size", 64, "training images in the measured batch and per SGD step", low=2, high=1437),
    Param("steps", 200, "SGD steps of the short training run", low=0, high=5000),
    Param("lr", 0.1, "SGD learning rate", low=1e-4, high=10.0),
]

BINS = np.linspace(-3.0, 3.0, 25)
"""Histogram bin edges of the activations (values outside are counted in the end bins)."""
NETS = {
    "sigmoid, N(0, 1/n)": ("sigmoid", "xavier"),
    "ReLU, He N(0, 2/n)": ("relu", "he"),
    "ReLU, N(0, 0.01^2)": ("relu", "tiny"),
}
NONLINEARITY = {"sigmoid": (sigmoid_forward, sigmoid_backward), "relu": (relu_forward, relu_backward)}


def init_mlp(rng: np.random.Generator, sizes: list[int], init: str, dtype: type = np.float64) -> dict[str, np.ndarray]:
    """Weights ``W1..WL`` (fan_in, fan_out) and zero biases; ``init``: xavier, he or tiny."""
    weights = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        std = {"xavier": np.sqrt(1.0 / fan_in), "he": np.sqrt(2.0 / fan_in), "tiny": 0.01}[init]
        weights[f"W{layer}"] = rng.normal(0.0, std, size=(fan_in, fan_out)).astype(dtype)
        weights[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return weights


def forward_backward(
    weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, nonlinearity: str
) -> tuple[float, dict[str, np.ndarray], list[np.ndarray]]:
    """Loss, gradients of every weight, and every hidden layer's activations (N, width) for inputs x (N, 64)."""
    act_forward, act_backward = NONLINEARITY[nonlinearity]
    layers = sum(k.startswith("W") for k in weights)
    h, caches, activations = x, [], []
    for layer in range(1, layers):
        a, affine_cache = affine_forward(h, weights[f"W{layer}"], weights[f"b{layer}"])  # (N, width)
        h, act_cache = act_forward(a)
        caches.append((affine_cache, act_cache))
        activations.append(h)
    scores, out_cache = affine_forward(h, weights[f"W{layers}"], weights[f"b{layers}"])  # (N, 10)
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = {}
    dh, grads[f"W{layers}"], grads[f"b{layers}"] = affine_backward(dscores, out_cache)
    for layer in range(layers - 1, 0, -1):
        affine_cache, act_cache = caches[layer - 1]
        dh, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(act_backward(dh, act_cache), affine_cache)
    return loss, grads, activations


def histogram(values: np.ndarray) -> list[float]:
    """Share of ``values`` in each bin of :data:`BINS`, the end bins taking everything beyond them."""
    counts, _ = np.histogram(np.clip(values, BINS[0], BINS[-1]), bins=BINS)
    return (counts / values.size).tolist()


@dataclass
class NetResult:
    name: str
    grad_norms: list[float]
    """||dL/dW_l|| at initialisation, l = 1 (input side) .. L (output layer)."""
    activation_mean: list[float]
    activation_std: list[float]
    histograms: list[list[float]]
    """One histogram of :data:`BINS` per hidden layer."""
    test_accuracy: float
    weight_change: list[float]
    """||W_l(after) - W_l(before)|| / ||W_l(before)|| after the training run."""


def study(
    name: str, weights: dict[str, np.ndarray], nonlinearity: str, data: tuple, batches: np.ndarray, lr: float
) -> NetResult:
    x_train, y_train, x_test, y_test = data
    layers = sum(k.startswith("W") for k in weights)
    _, grads, acts = forward_backward(weights, x_train[batches[0]], y_train[batches[0]], nonlinearity)
    trained = {k: v.copy() for k, v in weights.items()}
    for batch in batches[1:]:
        _, g, _ = forward_backward(trained, x_train[batch], y_train[batch], nonlinearity)
        for k in trained:
            trained[k] -= lr * g[k]
    act_forward = NONLINEARITY[nonlinearity][0]
    h = x_test
    for layer in range(1, layers):
        h, _ = act_forward(affine_forward(h, trained[f"W{layer}"], trained[f"b{layer}"])[0])
    scores = affine_forward(h, trained[f"W{layers}"], trained[f"b{layers}"])[0]  # (N_test, 10)
    return NetResult(
        name,
        [float(np.linalg.norm(grads[f"W{layer}"])) for layer in range(1, layers + 1)],
        [float(a.mean()) for a in acts],
        [float(a.std()) for a in acts],
        [histogram(a) for a in acts],
        float(np.mean(scores.argmax(axis=1) == y_test)),
        [
            float(np.linalg.norm(trained[f"W{layer}"] - weights[f"W{layer}"]) / np.linalg.norm(weights[f"W{layer}"]))
            for layer in range(1, layers + 1)
        ],
    )


@dataclass
class VanishingResult(Result):
    nets: list[NetResult]


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> VanishingResult:
    rng = np.random.default_rng(seed)
    data = standardised_flat(np.float32)  # float32: the gradients of 1e-6 are still far from underflow
    sizes = [data[0].shape[1], *[p["width"]] * p["depth"], 10]
    batches = rng.integers(0, len(data[1]), size=(p["steps"] + 1, p["batch_size"]))  # the same for every net
    nets = []
    for i, (name, (nonlinearity, init)) in enumerate(NETS.items()):
        weights = init_mlp(np.random.default_rng([seed, i]), sizes, init, np.float32)
        nets.append(study(name, weights, nonlinearity, data, batches, p["lr"]))
        if progress is not None:
            progress(i + 1, len(NETS), message=name)
    return VanishingResult(nets)


def report(result: VanishingResult) -> Report:
    sig, he, tiny = result.nets
    L = len(sig.grad_norms)
    layers = list(range(1, L + 1))

    def first_over_last(n: NetResult) -> float:
        return n.grad_norms[0] / n.grad_norms[-1]

    series = {f"{n.name}": Series(layers, np.log10(n.grad_norms).tolist()) for n in result.nets}
    rows = [
        [layer, *[n.grad_norms[layer - 1] for n in result.nets], *[n.weight_change[layer - 1] for n in result.nets]]
        for layer in layers
    ]
    images = [
        Image(
            n.name,
            [list(h) for h in n.histograms],
            group=f"activation histograms (rows: layer 1 at the top; columns: value {BINS[0]:g} .. {BINS[-1]:g})",
            vmin=0.0,
        )
        for n in result.nets
    ]
    return Report(
        headline=(
            f"At initialisation, with {L - 1} hidden layers, the first layer's weight gradient is "
            f"{first_over_last(sig):.1e} times the last layer's in the sigmoid net and {first_over_last(he):.2g} "
            f"times in the ReLU + He net. After {result.params['steps']} SGD steps: test accuracy "
            f"{sig.test_accuracy:.0%} (sigmoid), {he.test_accuracy:.0%} (ReLU + He), {tiny.test_accuracy:.0%} "
            f"(ReLU, tiny weights)."
        ),
        metrics={
            "sigmoid_first_over_last_grad": first_over_last(sig),
            "he_first_over_last_grad": first_over_last(he),
            "tiny_first_over_last_grad": first_over_last(tiny),
            "sigmoid_test_accuracy": sig.test_accuracy,
            "he_test_accuracy": he.test_accuracy,
            "tiny_test_accuracy": tiny.test_accuracy,
            "sigmoid_first_layer_change": sig.weight_change[0],
            "he_first_layer_change": he.weight_change[0],
            "he_activation_std_last_over_first": he.activation_std[-1] / he.activation_std[0],
            "tiny_activation_std_last": tiny.activation_std[-1],
        },
        series=series,
        plots=[
            Plot(
                "weight-gradient norm per layer, at initialisation",
                list(series),
                "layer (1: input side)",
                "log10 ||dL/dW||",
            )
        ],
        tables=[
            Table(
                "per layer: ||dL/dW|| at initialisation, then relative weight change after training",
                ["layer", *[f"grad, {n.name}" for n in result.nets], *[f"moved, {n.name}" for n in result.nets]],
                rows,
            ),
            Table(
                "hidden activations at initialisation: mean and std per layer",
                ["layer", *[f"{n.name} mean, std" for n in result.nets]],
                [
                    [
                        layer,
                        *[
                            f"{n.activation_mean[layer - 1]:.3f}, {n.activation_std[layer - 1]:.3f}"
                            for n in result.nets
                        ],
                    ]
                    for layer in range(1, L)
                ],
            ),
        ],
        images=images,
        notes=[
            "Each sigmoid layer multiplies the backward signal by s(1 - s) <= 1/4 times its weights; the "
            "sigmoid activations cluster near 0.5 with a shrinking spread, so deep layers see nearly the same input "
            "for every image.",
            "He initialisation keeps the spread of the ReLU activations from layer to layer; with weights of 0.01 "
            "it shrinks about tenfold per layer, and the gradient of the early layers with it.",
            "All three nets see the same batches at the same learning rate; the gradients are measured on the "
            "first batch. A larger rate would move the sigmoid net's last layers, not its first: their gradient is "
            "a millionth as large.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
