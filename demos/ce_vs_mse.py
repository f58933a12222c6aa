"""At a confidently wrong softmax, cross-entropy's gradient stays large while mean squared error's vanishes.

A softmax classifier turns logits ``z`` into probabilities ``p = softmax(z)``.
Two losses for a one-hot target ``y``:

- **cross-entropy** ``L = -ln p_y``, whose gradient with respect to the logits
  is ``dL/dz = p - y``;
- **mean squared error** on the probabilities, ``L = 1/2 sum_k (p_k - y_k)^2``,
  whose gradient passes through the softmax's Jacobian
  ``J = diag(p) - p p^T``: ``dL/dz = J (p - y)``.

When the net is confidently wrong, ``p`` is nearly a one-hot vector on the wrong
class and every entry of ``J`` is nearly 0: MSE's gradient vanishes exactly
where the error is largest, while cross-entropy's ``p - y`` has norm near
``sqrt(2)``. With two classes and the wrong logit ahead by ``d``, in closed form:

    |dL/dz|  cross-entropy:  sqrt(2) sigmoid(d)                -> sqrt(2)
             MSE:            2 sqrt(2) sigmoid(-d) sigmoid(d)^2  ~ 2 sqrt(2) e^-d

Part 1 tabulates both against ``d`` and checks them against the closed form
and a numerical gradient (CS231n's relative error). Part 2 trains softmax
regression on the 8x8 digits from large random weights (saturated, mostly wrong
predictions) with full-batch gradient descent, at one shared learning rate and
each loss at its own best rate of a small sweep, and counts the training digits
still confidently wrong (``p_y < 0.001``) at the end. What it shows: at the same
rate MSE learns far more slowly; a 10x larger rate lets it catch up on test
accuracy, but the examples it got confidently wrong stay wrong, because their
gradient is the one that vanished.

References: CS231n notes "Linear classification" (softmax); Golik, Doetsch &
Ney 2013, "Cross-entropy vs. squared error training: a theoretical and
experimental comparison"; Glorot & Bengio 2010 (saturation); Goodfellow,
Bengio & Courville, *Deep Learning* 6.2.1.1.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from digits import standardised_flat
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import eval_numerical_gradient, rel_error, row_max, row_sum

PARAMS = [
    Param("init_scale", 1.0, "std of the initial weights on standardised pixels (1: saturated)", low=0.0, high=10.0),
    Param("steps", 300, "full-batch gradient-descent steps per run", low=1, high=5000),
]

GAPS = (0.0, 1.0, 2.0, 5.0, 10.0)
"""Logit gaps d (wrong class ahead) of part 1."""
LRS = (1.0, 10.0, 100.0, 1000.0)
"""Learning rates of part 2's sweep, the same for both losses."""
SAME_LR = 1.0
"""The rate at which the two losses are compared head to head (each also at its own best)."""
CONFIDENTLY_WRONG = 1e-3


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax (N, K), shifted by the row maximum so exp cannot overflow."""
    e = np.exp(z - row_max(z))  # (N, K)
    return e / row_sum(e)


def cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean ``-ln p_y`` over the rows of logits ``z`` (N, K) and its gradient ``(p - Y) / N``."""
    N = len(y)
    shifted = z - row_max(z)  # (N, K)
    log_p = shifted - np.log(row_sum(np.exp(shifted)))  # (N, K), stable at saturation
    dz = np.exp(log_p)
    dz[np.arange(N), y] -= 1.0
    return float(-log_p[np.arange(N), y].mean()), dz / N


def squared_error(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean ``1/2 |p - Y|^2`` over the rows and its gradient ``J (p - Y) / N``, J the softmax Jacobian."""
    N, K = z.shape
    p = softmax(z)  # (N, K)
    r = p - np.eye(K)[y]  # (N, K) residual
    # J r = (diag(p) - p p^T) r = p * r - p (p . r), row by row
    dz = p * r - p * row_sum(p * r)  # (N, K)
    return float(0.5 * np.sum(r**2) / N), dz / N


def two_class_logits(d: float) -> np.ndarray:
    """Logits (1, 2) with the true class 0 behind the wrong class 1 by ``d``."""
    return np.array([[-d / 2, d / 2]])


def closed_form_norms(d: float) -> tuple[float, float]:
    """|dL/dz| of cross-entropy and MSE for :func:`two_class_logits` (d), from the formulas in the docstring."""
    s_pos, s_neg = 1 / (1 + np.exp(-d)), 1 / (1 + np.exp(d))
    return float(np.sqrt(2) * s_pos), float(2 * np.sqrt(2) * s_neg * s_pos**2)


@dataclass
class GapRow:
    d: float
    p_true: float
    ce_norm: float
    mse_norm: float
    ce_closed: float
    mse_closed: float
    numerical_error: float
    """Largest CS231n relative error of either analytic gradient against a centred difference."""


def gradient_at_gap(d: float) -> GapRow:
    z, y = two_class_logits(d), np.array([0])
    _, dz_ce = cross_entropy(z, y)
    _, dz_mse = squared_error(z, y)
    err = max(
        rel_error(dz_ce, eval_numerical_gradient(lambda v: cross_entropy(v, y)[0], z.copy(), h=1e-6)),
        rel_error(dz_mse, eval_numerical_gradient(lambda v: squared_error(v, y)[0], z.copy(), h=1e-6)),
    )
    ce_closed, mse_closed = closed_form_norms(d)
    p_true = float(softmax(z)[0, 0])
    return GapRow(d, p_true, float(np.linalg.norm(dz_ce)), float(np.linalg.norm(dz_mse)), ce_closed, mse_closed, err)


@dataclass
class Run:
    loss: str
    lr: float
    test_accuracy: list[float]
    """After every step (index 0: before training)."""
    confidently_wrong: int
    """Training digits with p_y < 0.001 at the end."""
    confidently_wrong_start: int


def train(loss_name: str, W0: np.ndarray, data: tuple[np.ndarray, ...], lr: float, steps: int) -> Run:
    """Full-batch gradient descent on softmax regression ``z = x W`` (no bias) from ``W0`` (64, 10)."""
    x_train, y_train, x_test, y_test = data
    loss_fn = cross_entropy if loss_name == "cross-entropy" else squared_error
    W = W0.copy()
    accuracy = [float(np.mean((x_test @ W).argmax(axis=1) == y_test))]
    start = int(np.sum(softmax(x_train @ W)[np.arange(len(y_train)), y_train] < CONFIDENTLY_WRONG))
    for _ in range(steps):
        _, dz = loss_fn(x_train @ W, y_train)  # (N, 64) @ (64, 10) -> (N, 10)
        W -= lr * (x_train.T @ dz)  # (64, N) @ (N, 10) -> (64, 10)
        accuracy.append(float(np.mean((x_test @ W).argmax(axis=1) == y_test)))
    wrong = int(np.sum(softmax(x_train @ W)[np.arange(len(y_train)), y_train] < CONFIDENTLY_WRONG))
    return Run(loss_name, lr, accuracy, wrong, start)


@dataclass
class CeVsMseResult(Result):
    gaps: list[GapRow]
    sweeps: dict[str, list[Run]]
    """Per loss, one run per learning rate of ``LRS``."""

    def best(self, loss: str) -> Run:
        return max(self.sweeps[loss], key=lambda r: r.test_accuracy[-1])


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> CeVsMseResult:
    gaps = [gradient_at_gap(d) for d in GAPS]
    rng = np.random.default_rng(seed)
    data = standardised_flat(np.float32)  # float32: twice as fast
    W0 = rng.normal(0.0, p["init_scale"], size=(data[0].shape[1], 10)).astype(np.float32)  # (64, 10)
    sweeps: dict[str, list[Run]] = {"cross-entropy": [], "MSE": []}
    total = len(sweeps) * len(LRS)
    for loss, runs in sweeps.items():
        for lr in LRS:  # each run streamed as it ends: the first event comes after one run, not four
            runs.append(train(loss, W0, data, lr, p["steps"]))
            if progress is not None:
                done = sum(map(len, sweeps.values()))
                progress(done, total, accuracy=runs[-1].test_accuracy[-1], message=f"{loss}, lr {lr:g}")
    return CeVsMseResult(gaps, sweeps)


def report(result: CeVsMseResult) -> Report:
    ce, mse = result.best("cross-entropy"), result.best("MSE")
    at10 = next(g for g in result.gaps if g.d == 10.0)
    steps = len(ce.test_accuracy) - 1
    ce_same, mse_same = (next(r for r in result.sweeps[k] if r.lr == SAME_LR) for k in ("cross-entropy", "MSE"))
    gap_rows = [
        [g.d, g.p_true, g.ce_norm, g.mse_norm, g.ce_norm / g.mse_norm if g.mse_norm else None, g.numerical_error]
        for g in result.gaps
    ]
    sweep_rows = [
        [r.lr, *[run.test_accuracy[-1] for run in (r, m)], r.confidently_wrong, m.confidently_wrong]
        for r, m in zip(result.sweeps["cross-entropy"], result.sweeps["MSE"], strict=True)
    ]
    xs = list(range(steps + 1))
    return Report(
        headline=(
            f"With the wrong logit ahead by 10, cross-entropy's gradient has norm {at10.ce_norm:.2f} and MSE's "
            f"{at10.mse_norm:.1e}. From saturated weights, at the same learning rate {SAME_LR:g} softmax regression "
            f"reaches {ce_same.test_accuracy[-1]:.1%} test accuracy with cross-entropy and "
            f"{mse_same.test_accuracy[-1]:.1%} with MSE after {steps} steps; at its own best rate ({mse.lr:g} against "
            f"{ce.lr:g}) MSE catches up on test accuracy ({mse.test_accuracy[-1]:.1%} against "
            f"{ce.test_accuracy[-1]:.1%}) but leaves {mse.confidently_wrong} training digits confidently wrong, "
            f"cross-entropy {ce.confidently_wrong}."
        ),
        metrics={
            "ce_grad_norm_d10": at10.ce_norm,
            "mse_grad_norm_d10": at10.mse_norm,
            "max_closed_form_error": max(
                max(abs(g.ce_norm - g.ce_closed), abs(g.mse_norm - g.mse_closed)) for g in result.gaps
            ),
            "max_numerical_gradient_error": max(g.numerical_error for g in result.gaps),
            "ce_test_accuracy": ce.test_accuracy[-1],
            "mse_test_accuracy": mse.test_accuracy[-1],
            "ce_test_accuracy_same_lr": ce_same.test_accuracy[-1],
            "mse_test_accuracy_same_lr": mse_same.test_accuracy[-1],
            "ce_best_lr": ce.lr,
            "mse_best_lr": mse.lr,
            "initial_test_accuracy": ce.test_accuracy[0],
            "confidently_wrong_start": ce.confidently_wrong_start,
            "ce_confidently_wrong": ce.confidently_wrong,
            "mse_confidently_wrong": mse.confidently_wrong,
        },
        series={
            f"cross-entropy, lr {ce.lr:g}": Series(xs, ce.test_accuracy),
            f"MSE, lr {mse.lr:g}": Series(xs, mse.test_accuracy),
        },
        plots=[
            Plot(
                "test accuracy from saturated weights",
                [f"cross-entropy, lr {ce.lr:g}", f"MSE, lr {mse.lr:g}"],
                "gradient-descent step",
                "accuracy",
            )
        ],
        tables=[
            Table(
                "1. gradient with respect to the logits, two classes, wrong class ahead by d",
                ["d", "p(true class)", "|grad| cross-entropy", "|grad| MSE", "ratio", "vs numerical"],
                gap_rows,
            ),
            Table(
                f"2. softmax regression on the digits after {steps} steps, per learning rate",
                ["lr", "CE accuracy", "MSE accuracy", "CE confidently wrong", "MSE confidently wrong"],
                sweep_rows,
            ),
        ],
        notes=[
            "Both gradients match the closed forms to rounding and a centred finite difference (CS231n relative "
            "error) at every d.",
            f"Part 2 starts from W ~ N(0, {result.params['init_scale']:g}^2) on standardised pixels: "
            f"{ce.confidently_wrong_start} of the training digits start with p(true class) < {CONFIDENTLY_WRONG:g}. "
            "Confidently wrong means the same at the end.",
            "MSE on probabilities is not useless: from small weights it trains too. It fails where the softmax "
            "saturates, which is why classifiers pair softmax with cross-entropy.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
