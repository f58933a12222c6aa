"""An L1 penalty sets the weights of useless inputs to exactly zero; L2 and dropout only shrink them.

"Regularization removes useless weights" is true of one regularizer: L1. The
demo gives a logistic regression the 64 pixels of each digit (task: is the
digit odd?) plus 64 columns of pure noise, and few enough training images
(400) that an unpenalised model fits the noise. Then it trains the same model
four ways and compares the weights on the noise columns and the test accuracy.

The objective, with ``z_n = x_n . w + b`` and the intercept b not penalised:

    J(w, b) = (1/N) sum_n [ln(1 + e^{z_n}) - y_n z_n]  +  l1 sum_j |w_j|  +  (l2 / 2) sum_j w_j^2

- **no penalty** (l1 = l2 = 0): the training images are separable, so the
  weights grow as long as it trains, the noise weights as well;
- **L2** (weight decay): the pull ``l2 w_j`` fades as w_j shrinks, so every
  weight ends up small but not zero;
- **L1**: the pull ``l1 sign(w_j)`` keeps its full strength down to 0, so a
  weight whose gradient never exceeds l1 in size is held at exactly 0;
- **dropout** (Srivastava et al. 2014): each input is deleted at random with
  probability p at every step (inverted dropout: the kept ones are scaled by
  1/(1-p)), so the model cannot rely on any single input. It changes what is
  learned, not the weights' form: no weight becomes 0. For a linear model it
  acts much like an L2 penalty adapted to each feature (Wager, Wang & Liang
  2013), and the model keeps its accuracy better when inputs go missing.

**Why exact zeros need a proximal step.** Plain (sub)gradient descent on the
L1 term moves a small weight by ``-step * l1 * sign(w)``: it jumps over 0 and
back, and floating point almost never lands on 0 exactly. Proximal gradient
descent (ISTA) takes the gradient step of the smooth part only, then solves
the L1 part exactly: the *soft threshold* ``w <- sign(w) max(|w| - step l1, 0)``
sets every weight within ``step l1`` of 0 to exactly 0. The demo runs both.
It uses FISTA, ISTA with Nesterov momentum (Beck & Teboulle 2009), because it
converges far faster; the returned weights are soft-thresholded either way.

**Cross-check.** scikit-learn's ``LogisticRegression(l1_ratio=1, C=C)``
minimises ``C sum_n loss_n + sum_j |w_j|`` (intercept not penalised with the
saga solver); dividing by C N gives J with ``l1 = 1 / (C N)``. So at
``C = 1 / (N l1)`` both minimise the same function, and the demo checks that
they zero the same weights (``--compare-sklearn true``; off by default, as
importing scikit-learn takes about as long as the demo). (``l1_ratio=0`` is the L2 case, with
``l2 = 1 / (C N)``, since scikit-learn's L2 term is ``sum w^2 / 2``.)

References: Tibshirani 1996 (the lasso); Beck & Teboulle 2009, "A fast
iterative shrinkage-thresholding algorithm" (ISTA/FISTA); Ng 2004, "Feature
selection, L1 vs. L2 regularization"; Srivastava et al. 2014 (dropout);
Wager, Wang & Liang 2013, "Dropout training as adaptive regularization";
scikit-learn user guide, logistic regression, and its example "L1 Penalty
and Sparsity in Logistic Regression".
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
from digits import load
from harness import Image, Param, Progress, Report, Result, Table, main, takes
from layers import dropout_forward

PARAMS = [
    Param("train_size", 400, "training digits (of the 1437) the models learn from", low=20, high=1437),
    Param("noise_features", 64, "columns of pure Gaussian noise added to the 64 pixels", low=1, high=2000),
    Param("l1", 0.03, "L1 strength: l1 * sum |w| is added to the mean log loss", low=1e-6, high=1.0),
    Param("l2", 0.1, "L2 strength: (l2 / 2) * sum w^2 is added to the mean log loss", low=1e-6, high=10.0),
    Param("dropout", 0.5, "probability of deleting each input at each training step", low=0.05, high=0.9),
    Param("steps", 2000, "gradient steps for every model", low=10, high=20000),
    Param(
        "compare_sklearn",
        False,
        "also fit scikit-learn's L1 logistic regression (saga) on the same data (importing it takes about as long "
        "as the demo)",
    ),
]

PIXELS = 64
DELETED = 0.5  # fraction of inputs deleted at test time to measure reliance on single inputs
DELETION_MASKS = 10
SHOWN_NOISE = 64  # noise weights drawn as an 8x8 picture


# --------------------------------------------------------------------------- data


def odd_digits_with_noise(
    rng: np.random.Generator, train_size: int, noise_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (N, 64 + noise) and 0/1 labels (is the digit odd?) for a random training subset and the test set.

    Pixels are standardised with the training subset's mean and standard
    deviation (pixels blank in every training image stay 0); the noise columns
    are N(0, 1), independent of everything, so any weight on them is useless.
    """
    d = load()
    subset = rng.permutation(len(d.y_train))[:train_size]
    x_train = d.x_train[subset].reshape(train_size, PIXELS)  # (N, 64)
    x_test = d.x_test.reshape(len(d.y_test), PIXELS)  # (N_test, 64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0
    X_train = np.hstack([(x_train - mean) / std, rng.normal(size=(train_size, noise_features))])
    X_test = np.hstack([(x_test - mean) / std, rng.normal(size=(len(x_test), noise_features))])
    return X_train, d.y_train[subset] % 2, X_test, d.y_test % 2


# --------------------------------------------------------------------------- the model and its training


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def mean_log_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """``(1/N) sum ln(1 + e^z) - y z``: the logistic regression's data term."""
    z = X @ w + b  # (N, D) @ (D,) -> (N,)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def objective(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, l1: float, l2: float) -> float:
    """J(w, b): the mean log loss plus both penalties (b is not penalised)."""
    return mean_log_loss(w, b, X, y) + l1 * np.abs(w).sum() + 0.5 * l2 * w @ w


def log_loss_grad(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Gradient of the mean log loss: ``X^T (sigmoid(z) - y) / N`` and its sum for b."""
    r = (sigmoid(X @ w + b) - y) / len(y)  # (N,)
    return X.T @ r, float(r.sum())  # (D, N) @ (N,) -> (D,)


def step_size(X: np.ndarray, l2: float) -> float:
    """``1 / L``, L a Lipschitz constant of the smooth part's gradient: ``||[X 1]||_2^2 / (4 N) + l2``.

    The logistic loss curves at most 1/4 as much as a square, hence the 4.
    """
    X1 = np.hstack([X, np.ones((len(X), 1))])  # (N, D + 1): the intercept's column
    return 1.0 / (np.linalg.norm(X1, 2) ** 2 / (4 * len(X)) + l2)


def soft_threshold(w: np.ndarray, threshold: float) -> np.ndarray:
    """The proximal step of ``threshold * sum |w|``: shrink every weight by ``threshold``, stopping at 0."""
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


def fista(X: np.ndarray, y: np.ndarray, l1: float, l2: float, steps: int) -> tuple[np.ndarray, float]:
    """Minimise J by accelerated proximal gradient descent from w = 0, b = 0.

    Parameters
    ----------
    X : (N, D) inputs
    y : (N,) 0/1 labels
    l1, l2 : penalty strengths (0 for none)
    """
    eta = step_size(X, l2)
    w, b = np.zeros(X.shape[1]), 0.0
    v, c = w, b  # the extrapolated point where the gradient is taken
    t = 1.0
    for _ in range(steps):
        g_w, g_b = log_loss_grad(v, c, X, y)
        w_next = soft_threshold(v - eta * (g_w + l2 * v), eta * l1)
        b_next = c - eta * g_b
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        momentum = (t - 1.0) / t_next
        v, c = w_next + momentum * (w_next - w), b_next + momentum * (b_next - b)
        w, b, t = w_next, b_next, t_next
    return w, b


def l1_subgradient_descent(X: np.ndarray, y: np.ndarray, l1: float, steps: int) -> tuple[np.ndarray, float]:
    """Plain gradient steps on J with ``l1 sign(w)`` for the L1 term: small weights hover around 0 instead."""
    eta = step_size(X, 0.0)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        g_w, g_b = log_loss_grad(w, b, X, y)
        w = w - eta * (g_w + l1 * np.sign(w))
        b = b - eta * g_b
    return w, b


def dropout_descent(
    X: np.ndarray, y: np.ndarray, p: float, steps: int, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Gradient steps on the mean log loss, each on a fresh dropout of the inputs (inverted, drop rate p)."""
    eta = step_size(X, 0.0)
    w, b = np.zeros(X.shape[1]), 0.0
    dropout_param = {"p": p, "mode": "train", "rng": rng}
    for _ in range(steps):
        X_dropped, _ = dropout_forward(X, dropout_param)  # (N, D): inputs zeroed at random, the rest scaled up
        g_w, g_b = log_loss_grad(w, b, X_dropped, y)
        w, b = w - eta * g_w, b - eta * g_b
    return w, b


def accuracy(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((X @ w + b > 0) == y))


# --------------------------------------------------------------------------- the experiment


@dataclass
class Fit:
    """One trained model."""

    label: str
    w: np.ndarray
    """(64 + noise_features,) pixel weights first, then noise weights."""
    b: float
    train_accuracy: float
    test_accuracy: float
    deleted_accuracy: float
    """Test accuracy with half of the inputs deleted (set to 0, their training mean), averaged over masks."""

    @property
    def w_pixels(self) -> np.ndarray:
        return self.w[:PIXELS]

    @property
    def w_noise(self) -> np.ndarray:
        return self.w[PIXELS:]


@dataclass
class SklearnCheck:
    """scikit-learn's L1 logistic regression on the same data, at ``C = 1 / (N l1)``."""

    C: float
    w: np.ndarray
    b: float
    same_zeros: bool
    zeros: int
    max_weight_diff: float
    objective_minus_ours: float
    """J at scikit-learn's weights minus J at ours (both minimise J: near 0)."""
    seconds: float
    """Wall-clock time of the check, importing scikit-learn included."""


@dataclass
class RegularizationResult(Result):
    fits: dict[str, Fit]
    """Keys ``none``, ``l2``, ``l1``, ``l1_subgradient``, ``dropout``."""
    l1_objective: float
    sklearn: SklearnCheck | None


def sklearn_l1(X: np.ndarray, y: np.ndarray, l1: float, w_ours: np.ndarray, l1_objective: float) -> SklearnCheck:
    """Fit scikit-learn's saga at the matching C and compare its zero weights with ours."""
    start = time.perf_counter()
    from sklearn.linear_model import LogisticRegression

    C = 1.0 / (len(y) * l1)
    model = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=1e-6, max_iter=10_000, random_state=0)
    model.fit(X, y)
    w, b = model.coef_[0], float(model.intercept_[0])
    return SklearnCheck(
        C=C,
        w=w,
        b=b,
        same_zeros=bool(np.array_equal(w == 0, w_ours == 0)),
        zeros=int(np.sum(w == 0)),
        max_weight_diff=float(np.max(np.abs(w - w_ours))),
        objective_minus_ours=objective(w, b, X, y, l1, 0.0) - l1_objective,
        seconds=time.perf_counter() - start,
    )


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> RegularizationResult:
    rng = np.random.default_rng(seed)
    X, y, X_test, y_test = odd_digits_with_noise(rng, p["train_size"], p["noise_features"])
    masks = rng.random((DELETION_MASKS, *X_test.shape)) >= DELETED  # the same deletions for every model

    trainers = {
        "none": ("no penalty", lambda: fista(X, y, 0.0, 0.0, p["steps"])),
        "l2": (f"L2 ({p['l2']:g})", lambda: fista(X, y, 0.0, p["l2"], p["steps"])),
        "l1": (f"L1 ({p['l1']:g}), proximal", lambda: fista(X, y, p["l1"], 0.0, p["steps"])),
        "l1_subgradient": (f"L1 ({p['l1']:g}), subgradient", lambda: l1_subgradient_descent(X, y, p["l1"], p["steps"])),
        "dropout": (f"dropout ({p['dropout']:g})", lambda: dropout_descent(X, y, p["dropout"], p["steps"], rng)),
    }
    total = len(trainers) + int(p["compare_sklearn"])
    fits = {}
    for step, (name, (label, train)) in enumerate(trainers.items(), start=1):
        w, b = train()
        deleted = float(np.mean([accuracy(w, b, X_test * mask, y_test) for mask in masks]))
        fits[name] = Fit(label, w, b, accuracy(w, b, X, y), accuracy(w, b, X_test, y_test), deleted)
        if progress is not None:
            progress(step, total, accuracy=fits[name].test_accuracy, message=label)

    l1_objective = objective(fits["l1"].w, fits["l1"].b, X, y, p["l1"], 0.0)
    check = None
    if p["compare_sklearn"]:
        check = sklearn_l1(X, y, p["l1"], fits["l1"].w, l1_objective)
        if progress is not None:
            progress(total, total, message="scikit-learn saga")
    return RegularizationResult(fits=fits, l1_objective=l1_objective, sklearn=check)


def report(result: RegularizationResult) -> Report:
    p, f = result.params, result.fits
    n_noise = p["noise_features"]

    def noise_zeros(name: str) -> int:
        return int(np.sum(f[name].w_noise == 0))

    def noise_size(name: str) -> float:
        return float(np.mean(np.abs(f[name].w_noise)))

    if result.sklearn is None:
        check_text = ""
    else:
        agree = "the same" if result.sklearn.same_zeros else "NOT the same"
        check_text = f" (scikit-learn's saga at C = 1/(N l1) zeroes {agree} weights)"
    headline = (
        f"With {n_noise} pure-noise inputs beside the 64 pixels, L1 set {noise_zeros('l1')} of the {n_noise} noise "
        f"weights to exactly 0{check_text}; L2 and dropout shrank them (mean |w| {noise_size('l2'):.2g} and "
        f"{noise_size('dropout'):.2g}, against {noise_size('none'):.2g} without a penalty) but zeroed none. "
        "Test accuracy: "
        + ", ".join(
            f"{fit.label.split(' (')[0]} {fit.test_accuracy:.1%}" for k, fit in f.items() if k != "l1_subgradient"
        )
        + "."
    )
    rows = [
        [
            fit.label,
            fit.test_accuracy,
            fit.train_accuracy,
            int(np.sum(fit.w_noise == 0)),
            float(np.mean(np.abs(fit.w_noise))),
            int(np.sum(fit.w_pixels == 0)),
            float(np.mean(np.abs(fit.w_pixels))),
            fit.deleted_accuracy,
        ]
        for fit in f.values()
    ]
    table = Table(
        f"{p['train_size']} training digits, odd or even, {n_noise} noise inputs; {p['steps']} steps each",
        [
            "model",
            "test acc",
            "train acc",
            f"noise w = 0 (of {n_noise})",
            "mean |w| noise",
            "pixel w = 0 (of 64)",
            "mean |w| pixels",
            "test acc, half the inputs deleted",
        ],
        rows,
        percent=["test acc", "train acc", "test acc, half the inputs deleted"],
    )
    images = []
    for name in ("none", "l2", "l1", "dropout"):
        fit = f[name]
        top = float(np.abs(fit.w).max()) or 1.0
        group = f"{fit.label}: |w| on the pixels and on the noise (black = 0, white = {top:.3g})"
        noise = np.abs(fit.w_noise[:SHOWN_NOISE])
        noise = np.pad(noise, (0, -len(noise) % 8)).reshape(-1, 8)  # (rows, 8)
        images.append(Image("pixels", np.abs(fit.w_pixels).reshape(8, 8).tolist(), group=group, vmin=0.0, vmax=top))
        images.append(Image("noise", noise.tolist(), group=group, vmin=0.0, vmax=top))
    blank_pixels = int(np.sum(f["none"].w_pixels == 0))
    notes = [
        f"L1 by subgradient steps reaches a similar model (test accuracy {f['l1_subgradient'].test_accuracy:.1%}) "
        f"but sets {int(np.sum(f['l1_subgradient'].w_noise == 0))} noise weights to exactly 0: its small weights "
        f"jitter around 0 (mean |w| {noise_size('l1_subgradient'):.2g}). The soft threshold is what makes zeros.",
        f"L1 also drops {int(np.sum(f['l1'].w_pixels == 0)) - blank_pixels} pixels that the others use: "
        "neighbouring pixels carry much the same information, and L1 keeps only some of them. "
        f"{blank_pixels} pixels are blank in every training image, so every model leaves their weight at 0.",
        f"Dropout: with half of the test inputs deleted, the no-penalty model falls to "
        f"{f['none'].deleted_accuracy:.1%} and the dropout model to {f['dropout'].deleted_accuracy:.1%}: trained "
        "without being able to count on any single input, it spreads its weight (as L2 does, "
        f"{f['l2'].deleted_accuracy:.1%}).",
        "Without a penalty the training digits are separated perfectly, and the weights (noise ones too) keep "
        "growing with more steps.",
    ]
    metrics = {
        "noise_weights": n_noise,
        "noise_zeros_l1": noise_zeros("l1"),
        "noise_zeros_l2": noise_zeros("l2"),
        "noise_zeros_none": noise_zeros("none"),
        "noise_zeros_dropout": noise_zeros("dropout"),
        "noise_zeros_l1_subgradient": noise_zeros("l1_subgradient"),
        "noise_mean_abs_w_none": noise_size("none"),
        "noise_mean_abs_w_l2": noise_size("l2"),
        "noise_mean_abs_w_l1": noise_size("l1"),
        "noise_mean_abs_w_dropout": noise_size("dropout"),
        **{f"test_accuracy_{name}": fit.test_accuracy for name, fit in f.items()},
        **{f"deleted_inputs_accuracy_{name}": fit.deleted_accuracy for name, fit in f.items()},
        "l1_objective": result.l1_objective,
    }
    if result.sklearn is not None:
        s = result.sklearn
        metrics |= {
            "sklearn_C": s.C,
            "sklearn_same_zeros": int(s.same_zeros),
            "sklearn_zeros": s.zeros,
            "l1_zeros": int(np.sum(f["l1"].w == 0)),
            "sklearn_max_weight_diff": s.max_weight_diff,
            "sklearn_objective_minus_ours": s.objective_minus_ours,
            "sklearn_seconds": s.seconds,
        }
        notes.append(
            f"scikit-learn: LogisticRegression(l1_ratio=1, C={s.C:.4g}, solver='saga') zeroes {s.zeros} weights, "
            f"ours {int(np.sum(f['l1'].w == 0))}; the largest weight difference is {s.max_weight_diff:.1e} and its "
            f"objective J is {s.objective_minus_ours:+.1e} from ours. The check took {s.seconds:.2f} s, importing "
            "scikit-learn included."
        )
    return Report(
        headline=headline,
        metrics=metrics,
        tables=[table],
        images=images,
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
