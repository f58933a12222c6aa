"""A too-small learning rate crawls, a good one reaches a low loss, and a too-large one blows up or stalls.

Gradient descent moves the weights against the gradient, ``w <- w - eta * grad L``,
and the learning rate ``eta`` is the step size. The demo trains the same tiny
CNN (``tiny_cnn.py``, made smaller: 8 filters, 32 hidden units) with plain
SGD, from the **same initial weights on the same mini-batches**, once per rate
on a log grid (default 1e-4 .. 10), and compares the training loss.

- **Too small.** For a small step the loss changes by
  ``L(w - eta g) - L(w) = -eta |g|^2 + O(eta^2)`` (a first-order Taylor
  expansion), so T steps lower it by about ``eta * T * |grad L(w0)|^2``. At
  1e-4 that is a few hundredths of a nat: the loss has barely moved. The demo
  prints that prediction next to the measured drop.
- **About right.** Around 0.1 the loss falls from ln 10 to a small fraction of it.
- **Too large.** Steps overshoot: the loss jumps up (the peak mini-batch loss
  is reported), the weights of the hidden ReLU units are thrown to where they
  never fire again ("dead" units), and a network whose hidden layer is dead
  outputs the same scores for every image. The best such a network can do is
  predict the class frequencies, whose loss is the label entropy ``H(y)`` (ln 10
  for ten balanced classes): the loss stalls there, at chance.

Between "crawls" and "blows up" the final loss against the rate is a U on a
log axis: the usual advice is to try rates a factor 3 to 10 apart and keep the
largest one that still trains smoothly.

References: CS231n notes "Neural Networks Part 3" (babysitting the learning
process: loss curves for low, good and high learning rates); Goodfellow,
Bengio & Courville, *Deep Learning* (2016), section 8.1.3 and 4.3 (the
first-order view of a gradient step); LeCun, Bottou, Orr & Mueller 1998,
"Efficient BackProp" (divergence above twice the optimal rate).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import tiny_cnn
from digits import load
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import softmax_cross_entropy

PARAMS = [
    Param("lr_low", 1e-4, "smallest learning rate of the grid", low=1e-6, high=1.0),
    Param("lr_high", 10.0, "largest learning rate of the grid", low=1e-3, high=100.0),
    Param("per_decade", 1, "learning rates per factor of 10 on the grid", low=1, high=4),
    Param("steps", 300, "SGD steps per learning rate", low=10, high=5000),
    Param("batch_size", 32, "images per SGD step (drawn with replacement)", low=1, high=512),
    Param("filters", 8, "3x3 filters in the conv layer", low=1, high=64),
    Param("hidden", 32, "units in the dense hidden layer", low=1, high=1024),
]

NO_DROPOUT = {"p": 0.0, "mode": "train"}
CURVE_POINTS = 30


def rate_grid(lr_low: float, lr_high: float, per_decade: int) -> np.ndarray:
    """Learning rates ``per_decade`` to a factor of 10 from ``lr_low`` up to ``lr_high`` (both included)."""
    decades = np.log10(lr_high / lr_low)
    if decades == 0:
        return np.array([lr_low])
    n = max(1, int(round(decades * per_decade)))
    return lr_low * 10.0 ** (decades * np.arange(n + 1) / n)  # (n + 1,)


def mean_loss(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy of the whole set ``x`` (N, 1, 8, 8); inf or NaN once the weights have blown up."""
    with np.errstate(over="ignore", invalid="ignore"):
        scores, _ = tiny_cnn.forward(weights, x, {"p": 0.0, "mode": "test"})  # (N, 10)
        return softmax_cross_entropy(scores, y)[0]


def squared_gradient_norm(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """``|grad L(w)|^2`` over every parameter, on the whole set: the slope a small step descends."""
    _, grads = tiny_cnn.loss_and_grads(weights, x, y, NO_DROPOUT)
    return float(sum(np.sum(g**2) for g in grads.values()))


def label_entropy(y: np.ndarray) -> float:
    """``H(y) = -sum_k p_k ln p_k``: the loss of predicting the class frequencies whatever the input."""
    p_k = np.bincount(y) / len(y)
    p_k = p_k[p_k > 0]
    return float(-np.sum(p_k * np.log(p_k)))


def dead_fraction(weights: dict[str, np.ndarray], x: np.ndarray) -> float:
    """Fraction of hidden ReLU units that output 0 on every image of ``x`` (they no longer learn)."""
    features = tiny_cnn.forward_features(weights, x)  # (N, hidden)
    return float(np.mean(features.max(axis=0) <= 0))


@dataclass
class RateRun:
    lr: float
    step_loss: np.ndarray
    """(steps,) mini-batch loss before each update; NaN after the weights blew up."""
    final_loss: float
    """Training-set loss after the last step (NaN or inf if the weights blew up)."""
    test_accuracy: float
    dead_fraction: float


def sgd(
    weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, batches: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Plain SGD ``w <- w - lr * grad`` over the given mini-batches; the weights and the loss at each step.

    Parameters
    ----------
    x : (N, 1, 8, 8) training images
    y : (N,) labels
    batches : (steps, B) indices of each step's mini-batch
    """
    weights = {k: v.copy() for k, v in weights.items()}
    step_loss = np.full(len(batches), np.nan)
    for t, batch in enumerate(batches):
        with np.errstate(over="ignore", invalid="ignore"):  # a too-large rate overflows: that is the lesson
            loss, grads = tiny_cnn.loss_and_grads(weights, x[batch], y[batch], NO_DROPOUT)
            if not np.isfinite(loss):
                break
            step_loss[t] = loss
            for k, g in grads.items():
                weights[k] -= lr * g
    return weights, step_loss


@dataclass
class LearningRateResult(Result):
    initial_loss: float
    initial_grad_norm_sq: float
    chance_loss: float
    """Label entropy of the training set: the loss of a network that ignores its input."""
    runs: list[RateRun]


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> LearningRateResult:
    rng = np.random.default_rng(seed)
    data = load(dtype=tiny_cnn.DTYPE)
    x, y = data.x_train, data.y_train
    initial = tiny_cnn.init_weights(rng, p["filters"], p["hidden"], tiny_cnn.DTYPE)
    batches = rng.integers(0, len(y), size=(p["steps"], p["batch_size"]))  # (steps, B), shared by every rate
    rates = rate_grid(*sorted((p["lr_low"], p["lr_high"])), p["per_decade"])
    runs = []
    for i, lr in enumerate(rates):
        weights, step_loss = sgd(initial, x, y, batches, float(lr))
        final = mean_loss(weights, x, y)
        finite = all(np.all(np.isfinite(w)) for w in weights.values())
        with np.errstate(over="ignore", invalid="ignore"):
            test_accuracy = float(np.mean(tiny_cnn.predict(weights, data.x_test) == data.y_test))
        dead = dead_fraction(weights, x) if finite else float("nan")
        runs.append(RateRun(float(lr), step_loss, final, test_accuracy, dead))
        if progress is not None:
            progress(i + 1, len(rates), loss=final, message=f"learning rate {lr:.3g}")
    return LearningRateResult(
        initial_loss=mean_loss(initial, x, y),
        initial_grad_norm_sq=squared_gradient_norm(initial, x, y),
        chance_loss=label_entropy(y),
        runs=runs,
    )


def progress_made(result: LearningRateResult, r: RateRun) -> float:
    """Share of the way from the initial loss to the best final loss that a run covered."""
    best = min(q.final_loss for q in result.runs if np.isfinite(q.final_loss))
    return (result.initial_loss - r.final_loss) / (result.initial_loss - best)


def verdict(result: LearningRateResult, r: RateRun, best: RateRun) -> str:
    """How a run went, read against the best run: below it rates crawl, above it they blow up or stall."""
    if r is best:
        return "lowest loss"
    if r.lr < best.lr:
        share = progress_made(result, r)
        return "crawls: barely moved" if share < 0.1 else "slow" if share < 0.5 else "learns"
    if not np.isfinite(r.final_loss):
        return "diverged (overflow)"
    if r.final_loss >= 0.95 * result.chance_loss:
        return "stalled at chance" + (", hidden layer dead" if r.dead_fraction == 1 else "")
    return "unstable" if progress_made(result, r) < 0.5 else "learns"


def smoothed(step_loss: np.ndarray, points: int = CURVE_POINTS) -> Series:
    """The mini-batch loss averaged over consecutive windows of steps (a readable curve of at most ``points``)."""
    width = max(1, len(step_loss) // points)
    n = len(step_loss) // width
    means = step_loss[: n * width].reshape(n, width).mean(axis=1)  # (n,)
    return Series([float(width * (i + 1)) for i in range(n)], [float(v) for v in means])


def report(result: LearningRateResult) -> Report:
    runs = result.runs
    best = min((r for r in runs if np.isfinite(r.final_loss)), key=lambda r: r.final_loss)
    small, large = runs[0], runs[-1]
    steps = result.params["steps"]
    predicted_drop = small.lr * steps * result.initial_grad_norm_sq
    small_drop = result.initial_loss - small.final_loss
    peak = float(np.nanmax(large.step_loss)) if np.any(np.isfinite(large.step_loss)) else float("inf")
    series = {f"lr {r.lr:.3g}": smoothed(r.step_loss) for r in runs}
    rates = [r.lr for r in runs]
    series["final loss"] = Series(rates, [r.final_loss for r in runs])
    series["chance (label entropy)"] = Series(rates, [result.chance_loss] * len(runs))
    rows = [
        [
            f"{r.lr:.3g}",
            r.final_loss,
            r.test_accuracy,
            float(np.nanmax(r.step_loss)) if np.any(np.isfinite(r.step_loss)) else None,
            f"{r.dead_fraction:.0%}",
            verdict(result, r, best),
        ]
        for r in runs
    ]
    notes = [
        f"First-order prediction for the smallest rate: eta * T * |grad L(w0)|^2 = {small.lr:.3g} * {steps} * "
        f"{result.initial_grad_norm_sq:.3g} = {predicted_drop:.3g} nats; measured drop {small_drop:.3g}. "
        "The measured drop is a little smaller because the gradient shrinks as the loss falls.",
        f"A network that ignores its input can at best predict the class frequencies: loss H(y) = "
        f"{result.chance_loss:.4f} nats (ln 10 = {np.log(10):.4f}). Runs that end there learned nothing.",
        "Every run starts from the same weights and sees the same mini-batches: only the learning rate differs.",
    ]
    if np.isfinite(small_drop) and small_drop > 0:
        steps_needed = (result.initial_loss - best.final_loss) / (small_drop / steps)
        notes.append(
            f"At the pace of lr {small.lr:.3g}, reaching the best run's loss would take about {steps_needed:,.0f} "
            f"steps instead of {steps}."
        )
    return Report(
        headline=(
            f"In {steps} SGD steps, lr {best.lr:.3g} took the training loss from {result.initial_loss:.2f} to "
            f"{best.final_loss:.2f}; lr {small.lr:.3g} lowered it by only {small_drop:.2f}, and lr {large.lr:.3g} "
            f"sent it up to {peak:.3g} before it ended at {large.final_loss:.2f} (chance is "
            f"{result.chance_loss:.2f})."
        ),
        metrics={
            "best_lr": best.lr,
            "best_final_loss": best.final_loss,
            "smallest_lr_drop": small_drop,
            "largest_lr_final_loss": large.final_loss,
            "initial_loss": result.initial_loss,
            "chance_loss": result.chance_loss,
            "best_test_accuracy": best.test_accuracy,
            "smallest_lr": small.lr,
            "smallest_lr_final_loss": small.final_loss,
            "smallest_lr_predicted_drop": predicted_drop,
            "smallest_lr_progress": progress_made(result, small),
            "largest_lr": large.lr,
            "largest_lr_peak_loss": peak,
            "largest_lr_dead_fraction": large.dead_fraction,
        },
        series=series,
        plots=[
            Plot(
                "training loss per step (mini-batch, averaged over windows)",
                [f"lr {r.lr:.3g}" for r in runs],
                "step",
                "cross-entropy",
                log_y=True,
            ),
            Plot(
                "final training loss against the learning rate",
                ["final loss", "chance (label entropy)"],
                "learning rate",
                "cross-entropy",
                log_x=True,
                log_y=True,
            ),
        ],
        tables=[
            Table(
                "one run per learning rate",
                ["lr", "final loss", "test acc", "peak loss", "dead", ""],
                rows,
                percent=["test acc"],
            )
        ],
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
