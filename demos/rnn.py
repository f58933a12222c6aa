"""A simple RNN reuses one unit and three weight matrices at every step, and fails to carry information over long gaps.

A simple (Elman, "vanilla") RNN reads a sequence x_1..x_T one step at a time
and keeps a hidden state h_t, its memory of what it has read so far. Every
step applies the same unit with the same three weight matrices:

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)     W_xh: input -> hidden
    y_t = h_t W_hy + b_y                          W_hh: hidden -> hidden
                                                  W_hy: hidden -> output

(Karpathy's min-char-rnn writes the same with column vectors, ``W_xh @ x``.)
Part 1 trains one on "hello", predicting each next character: the two "l"
inputs must give different outputs ("l", then "o"), and only the hidden state
can tell them apart.

Training is backpropagation through time (BPTT): the gradient reaching h_0
from a loss at step T has passed T times through ``diag(1 - h_t^2) W_hh^T``.
Since tanh' <= 1, its norm is at most ``sigma_max(W_hh)^T`` times the norm at
step T: when the largest singular value of W_hh is below 1 the gradient
**must vanish** geometrically, and with large weights it can **explode**
(part 2, measured against T). So a signal from step 1 barely reaches the
weights when T is large, and the network cannot learn to keep it: part 3
trains the RNN to recall the first token of a random sequence and reads its
accuracy as the gap grows, from perfect to chance. LSTMs and GRUs fix this
with a gated, additive memory path; gradient clipping only tames explosions.

References: Karpathy, min-char-rnn.py and "The Unreasonable Effectiveness of
Recurrent Neural Networks" (2015); CS231n lecture 10 and assignment 3
(``rnn_layers.py``); Bengio, Simard & Frasconi 1994, "Learning long-term
dependencies with gradient descent is difficult"; Pascanu, Mikolov & Bengio
2013, "On the difficulty of training recurrent neural networks"; Hochreiter &
Schmidhuber 1997 (LSTM).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from harness import Image, Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import (
    affine_backward,
    affine_forward,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy,
)

PARAMS = [
    Param("max_gap", 40, "longest sequence in the recall task (gaps 2, 5, 10, 20 below it)", low=2, high=100),
    Param("symbols", 4, "tokens in the recall task's alphabet (chance = 1/symbols)", low=2, high=16),
    Param("hidden", 32, "hidden units of the recall RNN", low=2, high=256),
    Param("train_steps", 300, "SGD steps per gap in the recall task", low=1, high=5000),
    Param("lr", 0.02, "SGD learning rate (momentum 0.9)", low=1e-5, high=1.0),
    Param("scale_small", 0.5, "small recurrent weight scale: W_hh ~ N(0, scale^2 / H)", low=0.01, high=10.0),
    Param("scale_large", 4.0, "large recurrent weight scale", low=0.01, high=10.0),
]

WORD = "hello"
WORD_HIDDEN = 8
GRAD_STEPS = (1, 2, 5, 10, 20, 50, 100)  # sequence lengths T at which dL/dh_0 is measured
GRAD_INPUT, GRAD_HIDDEN, GRAD_BATCH = 8, 32, 16  # anchors: D=8, H=32, batch 16
MOMENTUM, CLIP = 0.9, 5.0
BATCH, EVAL_SEQUENCES = 32, 1000

Params = dict[str, np.ndarray]


# --------------------------------------------------------------------------- the recurrent unit


def init_rnn(rng: np.random.Generator, D: int, H: int, V: int, scale: float = 1.0) -> Params:
    """The three weight matrices (and two biases), W ~ N(0, 1 / fan_in); W_hh scaled by ``scale``."""
    return {
        "W_xh": rng.normal(0.0, 1.0 / np.sqrt(D), size=(D, H)),  # input -> hidden
        "W_hh": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),  # hidden -> hidden
        "b_h": np.zeros(H),
        "W_hy": rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, V)),  # hidden -> output
        "b_y": np.zeros(V),
    }


def rnn_step(x_t: np.ndarray, h_prev: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """One step of the unit: the new hidden state and the output scores.

    Parameters
    ----------
    x_t : (N, D) input at this step
    h_prev : (N, H) hidden state after the previous step
    """
    h_t = np.tanh(x_t @ p["W_xh"] + h_prev @ p["W_hh"] + p["b_h"])  # (N, D) @ (D, H) + (N, H) @ (H, H) -> (N, H)
    y_t = h_t @ p["W_hy"] + p["b_y"]  # (N, H) @ (H, V) -> (N, V)
    return h_t, y_t


def forward_steps(x: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Unroll :func:`rnn_step` over a sequence from h_0 = 0: every h_t (N, T, H) and y_t (N, T, V)."""
    N, T, _ = x.shape
    h_t = np.zeros((N, p["W_hh"].shape[0]))  # (N, H)
    hs, ys = [], []
    for t in range(T):
        h_t, y_t = rnn_step(x[:, t], h_t, p)  # the same p at every step
        hs.append(h_t)
        ys.append(y_t)
    return np.stack(hs, axis=1), np.stack(ys, axis=1)


def loss_and_grads(p: Params, x: np.ndarray, y: np.ndarray, last_only: bool) -> tuple[float, Params]:
    """Softmax cross-entropy of the targets and its gradient by BPTT (``layers.rnn_forward/backward``).

    Parameters
    ----------
    x : (N, T, D) one-hot inputs
    y : (N, T) a target at every step, or (N,) one target read from h_T when ``last_only``
    """
    N, T, _ = x.shape
    H = p["W_hh"].shape[0]
    h, cache = rnn_forward(x, np.zeros((N, H)), p["W_xh"], p["W_hh"], p["b_h"])  # (N, T, H)
    read = h[:, -1] if last_only else h.reshape(N * T, H)  # (N, H) or (N T, H)
    scores, affine_cache = affine_forward(read, p["W_hy"], p["b_y"])  # (., V)
    loss, dscores = softmax_cross_entropy(scores, y.reshape(-1))
    dread, dW_hy, db_y = affine_backward(dscores, affine_cache)
    dh = np.zeros_like(h)  # (N, T, H)
    if last_only:
        dh[:, -1] = dread
    else:
        dh = dread.reshape(N, T, H)
    _, _, dW_xh, dW_hh, db_h = rnn_backward(dh, cache)
    return loss, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}


def train(
    p: Params,
    sample: Callable[[], tuple[np.ndarray, np.ndarray]],
    steps: int,
    lr: float,
    last_only: bool,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[Params, list[float]]:
    """SGD with momentum on batches from ``sample()``, gradients clipped to global norm ``CLIP``."""
    p = {k: v.copy() for k, v in p.items()}
    velocity = {k: np.zeros_like(v) for k, v in p.items()}
    losses = []
    for step in range(1, steps + 1):
        x, y = sample()
        loss, grads = loss_and_grads(p, x, y, last_only)
        norm = np.sqrt(sum(float((g**2).sum()) for g in grads.values()))
        shrink = min(1.0, CLIP / norm) if norm > 0 else 1.0  # Pascanu et al. 2013: clip the global norm
        for k, g in grads.items():
            velocity[k] = MOMENTUM * velocity[k] - lr * shrink * g
            p[k] += velocity[k]
        losses.append(loss)
        if on_step is not None:
            on_step(step, loss)
    return p, losses


def one_hot(ids: np.ndarray, K: int) -> np.ndarray:
    return np.eye(K)[ids]  # (..., K)


# --------------------------------------------------------------------------- 1. "hello"


@dataclass
class HelloResult:
    vocab: str
    params: Params
    h: np.ndarray  # (T, H) hidden state after each input
    probs: np.ndarray  # (T, V) predicted next-character distribution
    losses: list[float]


def train_hello(rng: np.random.Generator, steps: int = 200) -> HelloResult:
    """Next-character prediction on "hello": inputs h, e, l, l; targets e, l, l, o."""
    vocab = "".join(sorted(set(WORD)))
    ids = np.array([vocab.index(c) for c in WORD])
    x, y = one_hot(ids[None, :-1], len(vocab)), ids[None, 1:]  # (1, 4, V), (1, 4)
    p0 = init_rnn(rng, len(vocab), WORD_HIDDEN, len(vocab))
    p, losses = train(p0, lambda: (x, y), steps, lr=0.1, last_only=False)
    h, scores = forward_steps(x, p)  # (1, T, H), (1, T, V)
    probs = np.exp(scores[0] - scores[0].max(axis=1, keepdims=True))  # (T, V)
    return HelloResult(vocab, p, h[0], probs / probs.sum(axis=1, keepdims=True), losses)


# --------------------------------------------------------------------------- 2. vanishing and exploding gradients


def grad_h0(p: Params, x: np.ndarray) -> np.ndarray:
    """dL/dh_0 (N, H) for L = sum of h_T, by BPTT from h_0 = 0.

    Parameters
    ----------
    x : (N, T, D) inputs
    """
    N = x.shape[0]
    h, cache = rnn_forward(x, np.zeros((N, p["W_hh"].shape[0])), p["W_xh"], p["W_hh"], p["b_h"])  # (N, T, H)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0  # dL/dh_T
    _, dh0, _, _, _ = rnn_backward(dh, cache)  # (N, H)
    return dh0


@dataclass
class GradientResult:
    scale: float
    sigma_max: float  # largest singular value of W_hh
    norms: list[float]  # mean over the batch of ||dL/dh_0||, at each T of GRAD_STEPS


def measure_gradients(rng: np.random.Generator, scale: float) -> GradientResult:
    """||dL/dh_0|| for T = 1..100 on random inputs (the anchors' set-up: D=8, H=32, batch 16, x_t ~ N(0, 1))."""
    p = init_rnn(rng, GRAD_INPUT, GRAD_HIDDEN, 1, scale)
    x = rng.normal(size=(GRAD_BATCH, max(GRAD_STEPS), GRAD_INPUT))  # (N, T_max, D)
    norms = [float(np.linalg.norm(grad_h0(p, x[:, :T]), axis=1).mean()) for T in GRAD_STEPS]
    return GradientResult(scale, float(np.linalg.svd(p["W_hh"], compute_uv=False)[0]), norms)


# --------------------------------------------------------------------------- 3. recall the first token


def recall_batch(rng: np.random.Generator, N: int, T: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    """N sequences of T random tokens out of K, one-hot (N, T, K), and their first tokens (N,)."""
    tokens = rng.integers(0, K, size=(N, T))
    return one_hot(tokens, K), tokens[:, 0]


def recall_accuracy(p: Params, x: np.ndarray, first: np.ndarray) -> float:
    _, scores = forward_steps(x, p)  # (N, T, K)
    return float(np.mean(scores[:, -1].argmax(axis=1) == first))


def gaps_up_to(max_gap: int) -> list[int]:
    return [g for g in (2, 5, 10, 20) if g < max_gap] + [max_gap]


@dataclass
class RnnResult(Result):
    hello: HelloResult
    gradients: list[GradientResult]  # small scale, large scale
    gaps: list[int]
    recall_accuracy: list[float]
    recall_losses: list[list[float]]


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> RnnResult:
    rng = np.random.default_rng(seed)

    hello = train_hello(rng)
    gradients = [measure_gradients(rng, p["scale_small"]), measure_gradients(rng, p["scale_large"])]

    gaps, K = gaps_up_to(p["max_gap"]), p["symbols"]
    total = len(gaps) * p["train_steps"]
    accuracy, losses = [], []
    for i, gap in enumerate(gaps):

        def report_progress(step: int, loss: float, i: int = i, gap: int = gap) -> None:
            done = i * p["train_steps"] + step
            if progress is not None and (step % 25 == 0 or step == p["train_steps"]):
                progress(done, total, loss=loss, message=f"recall, gap {gap}")

        p0 = init_rnn(rng, K, p["hidden"], K)
        trained, curve = train(
            p0, lambda gap=gap: recall_batch(rng, BATCH, gap, K), p["train_steps"], p["lr"], True, report_progress
        )
        accuracy.append(recall_accuracy(trained, *recall_batch(rng, EVAL_SEQUENCES, gap, K)))
        losses.append(curve)
    return RnnResult(hello, gradients, gaps, accuracy, losses)


# --------------------------------------------------------------------------- report


def report(result: RnnResult) -> Report:
    hello, (small, large) = result.hello, result.gradients
    chance = 1 / result.params["symbols"]
    T50 = GRAD_STEPS.index(50)
    vocab = hello.vocab
    inputs, targets = WORD[:-1], WORD[1:]
    predicted = [vocab[i] for i in hello.probs.argmax(axis=1)]
    p_target = [float(hello.probs[t, vocab.index(c)]) for t, c in enumerate(targets)]
    hello_rows = [
        [t + 1, inputs[t], targets[t], predicted[t], p_target[t], float(np.linalg.norm(hello.h[t]))]
        for t in range(len(inputs))
    ]
    bound_small = [np.sqrt(GRAD_HIDDEN) * small.sigma_max**T for T in GRAD_STEPS]
    grad_rows = [[T, s, b, lg] for T, s, b, lg in zip(GRAD_STEPS, small.norms, bound_small, large.norms, strict=True)]
    shortest, longest = result.recall_accuracy[0], result.recall_accuracy[-1]

    metrics: dict[str, float | int | None] = {
        "hello_accuracy": float(np.mean([a == b for a, b in zip(predicted, targets, strict=True)])),
        "hello_p_second_l": p_target[2],
        "hello_p_o": p_target[3],
        "sigma_max_W_hh_small": small.sigma_max,
        "sigma_max_W_hh_large": large.sigma_max,
    }
    for name, g in (("small", small), ("large", large)):
        metrics[f"grad_norm_T1_{name}"] = g.norms[0]
        metrics[f"grad_norm_T50_{name}"] = g.norms[T50]
        metrics[f"grad_norm_ratio_T50_{name}"] = g.norms[T50] / g.norms[0]
    metrics["grad_bound_T50_small"] = bound_small[T50]
    metrics |= {f"recall_accuracy_gap_{g}": a for g, a in zip(result.gaps, result.recall_accuracy, strict=True)}
    metrics |= {
        "recall_accuracy_shortest_gap": shortest,
        "recall_accuracy_longest_gap": longest,
        "recall_chance": chance,
    }

    shared = "the three weight matrices, shared by every step"
    images = [
        Image(
            f"h_t (rows: {WORD_HIDDEN} hidden units; columns: after reading {', '.join(inputs)})",
            hello.h.T.tolist(),
            vmin=-1.0,
            vmax=1.0,
        ),
        *(
            Image(f"{name} {hello.params[name].shape}", hello.params[name].tolist(), group=shared)
            for name in ("W_xh", "W_hh", "W_hy")
        ),
    ]
    notes = [
        f"'hello': the inputs at steps 3 and 4 are both 'l', yet the RNN predicts 'l' (p = {p_target[2]:.2f}) then "
        f"'o' (p = {p_target[3]:.2f}): the hidden state remembers how many l's it has read.",
        "Backprop multiplies by diag(1 - h_t^2) W_hh^T at every step, so ||dL/dh_0|| <= sqrt(H) sigma_max(W_hh)^T"
        + (
            f"; with sigma_max = {small.sigma_max:.2f} < 1 the gradient must vanish (bound at T=50: "
            f"{bound_small[T50]:.1e})."
            if small.sigma_max < 1
            else f"; here sigma_max = {small.sigma_max:.2f} >= 1, so only tanh' < 1 makes it vanish."
        ),
        f"With W_hh scaled by {large.scale:g} (sigma_max = {large.sigma_max:.2f}) the same gradient grows "
        f"{large.norms[T50] / large.norms[0]:.1e}-fold over 50 steps: it explodes, which is why training clips it "
        f"(global norm {CLIP:g}).",
        f"Recall task: {result.params['symbols']} symbols, {result.params['train_steps']} SGD steps per gap, "
        f"batch {BATCH}, accuracy on {EVAL_SEQUENCES} fresh sequences; chance is {chance:.2f}.",
        "The failing gaps depend on the training budget, not only on the RNN: with --train-steps 3000 "
        "--max-gap 20 the gap-20 recall rises from 46% to 100% (seed 0, 4 symbols): read this curve as what "
        f"{result.params['train_steps']} SGD steps learn, not as the gap where an RNN must fail.",
    ]
    return Report(
        headline=(
            f"The RNN recalls the first token {shortest:.0%} of the time after {result.gaps[0]} steps but "
            f"{longest:.0%} after {result.gaps[-1]} (chance {chance:.0%}); through 50 steps the gradient shrinks "
            f"{small.norms[0] / small.norms[T50]:.0e}-fold with small recurrent weights and grows "
            f"{large.norms[T50] / large.norms[0]:.0e}-fold with large ones."
        ),
        metrics=metrics,
        series={  # log10 on a linear axis: 60 decades are more legible as exponents than as log-axis ticks
            f"scale {small.scale:g}": Series(list(GRAD_STEPS), np.log10(small.norms).tolist()),
            f"bound sqrt(H) {small.sigma_max:.2f}^T": Series(list(GRAD_STEPS), np.log10(bound_small).tolist()),
            f"scale {large.scale:g}": Series(list(GRAD_STEPS), np.log10(large.norms).tolist()),
            "recall accuracy": Series(result.gaps, result.recall_accuracy),
            "chance": Series(result.gaps, [chance] * len(result.gaps)),
        },
        plots=[
            Plot(
                "gradient reaching h_0 against sequence length",
                [f"scale {small.scale:g}", f"bound sqrt(H) {small.sigma_max:.2f}^T", f"scale {large.scale:g}"],
                "T",
                "log10 ||dL/dh_0||",
            ),
            Plot("recall the first token", ["recall accuracy", "chance"], "gap (sequence length)", "accuracy"),
        ],
        tables=[
            Table(
                "1. 'hello', one step at a time",
                ["t", "input x_t", "target", "predicted", "p(target)", "||h_t||"],
                hello_rows,
            ),
            Table(
                "2. gradient reaching h_0 from L = sum(h_T)",
                ["T", f"scale {small.scale:g}", "bound", f"scale {large.scale:g}"],
                grad_rows,
            ),
            Table(
                "3. recall the first token",
                ["gap", "test accuracy", "final train loss"],
                [
                    [g, a, c[-1]]
                    for g, a, c in zip(result.gaps, result.recall_accuracy, result.recall_losses, strict=True)
                ],
                percent=["test accuracy"],
            ),
        ],
        images=images,
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
