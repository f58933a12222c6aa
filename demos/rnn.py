"""A simple RNN reuses one unit and three weight matrices at every step; it learns long gaps far slower than an LSTM.

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
(part 2, measured against T).

Part 3 is what that does to learning. An RNN and an LSTM (CS231n's
``lstm_forward/backward`` in ``layers.py``, gate order i, f, o, g) learn the
same task: read T random tokens out of 4 and name the first one after the
last. Both have 32 hidden units, start from weights drawn the same way, see
the same batches of 64 fresh sequences, and train the same way: Adam (lr
0.01), the gradient clipped to global norm 1, float32. A net has *learned*
when 10 batches in a row average 99% accuracy; it stops there or after
``max_steps`` (500). The table gives the steps each needed at gaps 5, 10, 20
and 40, and the accuracy on 1,000 more sequences.

The LSTM's cell state is updated by addition, ``c_t = f_t * c_{t-1} + i_t *
g_t``: the gradient reaching c_{t-1} is the one at c_t times the forget gate,
with no weight matrix and no tanh' in the way. Its forget gate must start
open: with a bias of 3 each cell keeps sigmoid(3) = 0.95 of its content per
step (0.95^40 = 0.13 after 40 steps); with the common bias of 1 it keeps 0.73
(0.73^40 = 3e-6), and the LSTM stalls like the RNN.

Measured, seed 0 unless said (``python demos/rnn.py`` with the options shown):

- defaults: both learn gaps 5 and 10 in 25-32 steps; at gap 20 the LSTM needs
  47 steps and the RNN has not learned it in 500 (46%); at gap 40 the LSTM 57,
  the RNN not in 500 (23%, chance 25%).
- seeds 0-4 (``--seed N``), gap 40: the LSTM learns in 57-257 steps; the RNN
  within 500 steps only on seed 1 (at step 491), elsewhere 23-50%. At gap 20
  the RNN learns on seeds 2-4 (72-104 steps), not on 0 and 1.
- more steps (``--max-steps 2000 --max-gap 100``): the RNN still has not
  learned gap 20 (49.5%): it sits on a plateau (training loss 0.71 over its
  last 100 steps, about ln 2), the first token narrowed down to two of the
  four. This is a measurement of learning within a budget, not a gap beyond
  which an RNN cannot carry information (with enough steps it sometimes
  does); but the steps it needs grow much faster with the gap than the
  LSTM's. At gap 100 the LSTM, too, has not learned in 2000 steps (74%): a
  forget bias of 3 keeps 0.95^100 = 0.006; Tallec & Ollivier's "chrono"
  initialisation sets the biases from the gap lengths to expect.
- ``--forget-bias 1``: the LSTM learns gap 20 in 87 steps, but not gap 40 in
  500 (28%).

Time budget: at most 30x ``python -c "import numpy"`` at the defaults
(measured 22.1x, median of 5, IQR 20.7-26.3:
``python benchmarks/bench_demo_times.py --only rnn``). The longest gap runs
first, and the headline streams as a progress message as
soon as both nets have run on it; then each shorter gap's result.

References: Karpathy, min-char-rnn.py and "The Unreasonable Effectiveness of
Recurrent Neural Networks" (2015); CS231n lecture 10 and assignment 3
(``rnn_layers.py``); Bengio, Simard & Frasconi 1994, "Learning long-term
dependencies with gradient descent is difficult"; Pascanu, Mikolov & Bengio
2013, "On the difficulty of training recurrent neural networks"; Hochreiter &
Schmidhuber 1997 (LSTM); Gers, Schmidhuber & Cummins 2000 (the forget gate);
Jozefowicz, Zaremba & Sutskever 2015 (forget bias 1); Tallec & Ollivier 2018,
"Can recurrent neural networks warp time?" (chrono initialisation); Kingma &
Ba 2015 (Adam).
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
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy,
)

PARAMS = [
    Param("max_gap", 40, "longest gap in the recall task (gaps 5, 10, 20 below it)", low=2, high=200),
    Param("symbols", 4, "tokens in the recall task's alphabet (chance = 1/symbols)", low=2, high=16),
    Param("hidden", 32, "hidden units of the recall RNN and LSTM", low=2, high=256),
    Param(
        "max_steps", 500, "Adam steps at most per network and gap (a run stops once it has learned)", low=10, high=20000
    ),
    Param("lr", 0.01, "Adam learning rate of the recall task", low=1e-5, high=1.0),
    Param(
        "forget_bias",
        3.0,
        "initial bias of the LSTM's forget gate (f = sigmoid(bias) at the start)",
        low=-10.0,
        high=10.0,
    ),
    Param("scale_small", 0.5, "small recurrent weight scale: W_hh ~ N(0, scale^2 / H)", low=0.01, high=10.0),
    Param("scale_large", 4.0, "large recurrent weight scale", low=0.01, high=10.0),
]

WORD = "hello"
WORD_HIDDEN = 8
GRAD_STEPS = (1, 2, 5, 10, 20, 50, 100)  # sequence lengths T at which dL/dh_0 is measured
GRAD_INPUT, GRAD_HIDDEN, GRAD_BATCH = 8, 32, 16  # anchors: D=8, H=32, batch 16
CLIP = 1.0  # global gradient norm (Pascanu et al. 2013)
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
BATCH, EVAL_SEQUENCES = 64, 1000
LEARNED, LEARNED_WINDOW = 0.99, 10  # "learned": mean accuracy >= 99% over the last 10 training batches
CELLS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward)}

Params = dict[str, np.ndarray]


# --------------------------------------------------------------------------- the recurrent unit


def init_rnn(rng: np.random.Generator, D: int, H: int, V: int, scale: float = 1.0, dtype: type = np.float64) -> Params:
    """The three weight matrices (and two biases), W ~ N(0, 1 / fan_in); W_hh scaled by ``scale``."""
    p = {
        "W_xh": rng.normal(0.0, 1.0 / np.sqrt(D), size=(D, H)),  # input -> hidden
        "W_hh": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),  # hidden -> hidden
        "b_h": np.zeros(H),
        "W_hy": rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, V)),  # hidden -> output
        "b_y": np.zeros(V),
    }
    return {k: v.astype(dtype) for k, v in p.items()}


def init_lstm(rng: np.random.Generator, D: int, H: int, V: int, forget_bias: float, dtype: type = np.float64) -> Params:
    """The LSTM's weights under the RNN's names, four gates wide (i, f, o, g), the forget gate's bias set.

    A forget bias of b starts every cell keeping a fraction sigmoid(b) of its
    content per step: 1 (Jozefowicz et al. 2015) keeps 0.73, so after 40 steps
    0.73^40 = 3e-6 of a stored token is left, and of the gradient back to it;
    3 keeps 0.95 (0.95^40 = 0.13).
    """
    p = {
        "W_xh": rng.normal(0.0, 1.0 / np.sqrt(D), size=(D, 4 * H)),  # input -> gates
        "W_hh": rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, 4 * H)),  # hidden -> gates
        "b_h": np.zeros(4 * H),
        "W_hy": rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, V)),  # hidden -> output
        "b_y": np.zeros(V),
    }
    p["b_h"][H : 2 * H] = forget_bias
    return {k: v.astype(dtype) for k, v in p.items()}


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


@dataclass
class Step:
    """One batch's loss, its gradient and how many of its targets the scores got right."""

    loss: float
    grads: Params
    accuracy: float


def loss_and_grads(p: Params, x: np.ndarray, y: np.ndarray, last_only: bool, cell: str = "rnn") -> Step:
    """Softmax cross-entropy of the targets and its gradient by BPTT (``layers.rnn_*`` or ``layers.lstm_*``).

    Parameters
    ----------
    x : (N, T, D) one-hot inputs
    y : (N, T) a target at every step, or (N,) one target read from h_T when ``last_only``
    cell : "rnn" or "lstm" (its parameters from :func:`init_lstm`)
    """
    forward, backward = CELLS[cell]
    N, T, _ = x.shape
    H = p["W_hh"].shape[0]
    h, cache = forward(x, np.zeros((N, H), dtype=x.dtype), p["W_xh"], p["W_hh"], p["b_h"])  # (N, T, H)
    read = h[:, -1] if last_only else h.reshape(N * T, H)  # (N, H) or (N T, H)
    scores, affine_cache = affine_forward(read, p["W_hy"], p["b_y"])  # (., V)
    loss, dscores = softmax_cross_entropy(scores, y.reshape(-1))
    dread, dW_hy, db_y = affine_backward(dscores, affine_cache)
    dh = np.zeros_like(h)  # (N, T, H)
    if last_only:
        dh[:, -1] = dread
    else:
        dh = dread.reshape(N, T, H)
    _, _, dW_xh, dW_hh, db_h = backward(dh, cache)
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}
    return Step(loss, grads, float(np.mean(scores.argmax(axis=1) == y.reshape(-1))))


@dataclass
class Training:
    params: Params
    losses: list[float]
    learned_at: int | None  # the step at which the last LEARNED_WINDOW batches averaged LEARNED accuracy


def train(
    p: Params,
    sample: Callable[[], tuple[np.ndarray, np.ndarray]],
    steps: int,
    lr: float,
    last_only: bool,
    cell: str = "rnn",
    stop_when_learned: bool = False,
    on_step: Callable[[int, float], None] | None = None,
) -> Training:
    """Adam (Kingma & Ba 2015) on batches from ``sample()``, the gradient clipped to global norm ``CLIP`` first.

    With ``stop_when_learned`` the run ends once the last ``LEARNED_WINDOW``
    batches, each of fresh sequences, averaged ``LEARNED`` accuracy.
    """
    p = {k: v.copy() for k, v in p.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}  # first-moment estimate
    v = {k: np.zeros_like(v) for k, v in p.items()}  # second-moment estimate
    (beta1, beta2), losses, accuracies, learned_at = ADAM_BETAS, [], [], None
    for step in range(1, steps + 1):
        x, y = sample()
        out = loss_and_grads(p, x, y, last_only, cell)
        norm = np.sqrt(sum(float((g**2).sum()) for g in out.grads.values()))
        shrink = min(1.0, CLIP / norm) if norm > 0 else 1.0  # rescale, keeping the direction
        rate = lr * float(np.sqrt(1 - beta2**step)) / (1 - beta1**step)  # bias correction folded into the rate
        for k, g in out.grads.items():
            g = g * shrink
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            p[k] -= rate * m[k] / (np.sqrt(v[k]) + ADAM_EPS)  # a Python float rate keeps float32 float32
        losses.append(out.loss)
        accuracies.append(out.accuracy)
        if on_step is not None:
            on_step(step, out.loss)
        if len(accuracies) >= LEARNED_WINDOW and np.mean(accuracies[-LEARNED_WINDOW:]) >= LEARNED:
            learned_at = learned_at or step
            if stop_when_learned:
                break
    return Training(p, losses, learned_at)


def one_hot(ids: np.ndarray, K: int, dtype: type = np.float64) -> np.ndarray:
    return np.eye(K, dtype=dtype)[ids]  # (..., K)


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
    p, losses = (trained := train(p0, lambda: (x, y), steps, lr=0.05, last_only=False)).params, trained.losses
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


# --------------------------------------------------------------------------- 3. recall the first token: RNN and LSTM


def recall_batch(
    rng: np.random.Generator, N: int, T: int, K: int, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """N sequences of T random tokens out of K, one-hot (N, T, K), and their first tokens (N,)."""
    tokens = rng.integers(0, K, size=(N, T))
    return one_hot(tokens, K, dtype), tokens[:, 0]


def recall_accuracy(p: Params, x: np.ndarray, first: np.ndarray, cell: str = "rnn") -> float:
    return loss_and_grads(p, x, first, last_only=True, cell=cell).accuracy


def gaps_up_to(max_gap: int) -> list[int]:
    return [g for g in (5, 10, 20) if g < max_gap] + [max_gap]


@dataclass
class RecallRun:
    """One network trained on one gap."""

    cell: str
    gap: int
    learned_at: int | None  # Adam steps until it recalled (see LEARNED); None: not within max_steps
    steps: int  # steps taken
    accuracy: float  # on EVAL_SEQUENCES fresh sequences
    losses: list[float]


def train_recall(
    seed: int,
    cell: str,
    gap: int,
    p: dict,
    on_step: Callable[[int, float], None] | None = None,
) -> RecallRun:
    """Train an RNN or an LSTM to recall the first of ``gap`` tokens, in float32, until it has learned.

    Both cells of one seed and gap see the same training batches (the data
    stream is seeded by ``(seed, gap)``), start from weights drawn the same way
    and are tested on the same sequences.
    """
    K, H = p["symbols"], p["hidden"]
    data = np.random.default_rng([seed, gap])
    init = np.random.default_rng([seed, gap, 1])
    test = recall_batch(np.random.default_rng([seed, gap, 2]), EVAL_SEQUENCES, gap, K, np.float32)
    if cell == "lstm":
        p0 = init_lstm(init, K, H, K, p["forget_bias"], dtype=np.float32)
    else:
        p0 = init_rnn(init, K, H, K, dtype=np.float32)
    trained = train(
        p0,
        lambda: recall_batch(data, BATCH, gap, K, np.float32),
        p["max_steps"],
        p["lr"],
        last_only=True,
        cell=cell,
        stop_when_learned=True,
        on_step=on_step,
    )
    accuracy = recall_accuracy(trained.params, *test, cell=cell)
    return RecallRun(cell, gap, trained.learned_at, len(trained.losses), accuracy, trained.losses)


@dataclass
class RnnResult(Result):
    hello: HelloResult
    gradients: list[GradientResult]  # small scale, large scale
    gaps: list[int]
    recall: list[RecallRun]  # for each gap: the RNN, then the LSTM


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> RnnResult:
    rng = np.random.default_rng(seed)

    hello = train_hello(rng)
    gradients = [measure_gradients(rng, p["scale_small"]), measure_gradients(rng, p["scale_large"])]

    gaps = gaps_up_to(p["max_gap"])
    order = [(gap, cell) for gap in [gaps[-1], *gaps[:-1]] for cell in CELLS]  # the headline's gap first
    work = [gap * p["max_steps"] for gap, _ in order]  # a step's cost grows with the gap
    runs: dict[tuple[str, int], RecallRun] = {}
    for i, (gap, cell) in enumerate(order):
        done = sum(work[:i])

        def report_progress(step: int, loss: float, done: int = done, gap: int = gap, cell: str = cell) -> None:
            if progress is not None and step % 10 == 0:
                progress(done + step * gap, sum(work), loss=loss, message=f"{cell.upper()}, gap {gap}")

        last = runs[cell, gap] = train_recall(seed, cell, gap, p, report_progress)
        if progress is None:
            continue
        if i == len(CELLS) - 1:  # both nets have run on the longest gap: the answer, streamed before the rest
            progress(1, 1, message=headline(runs["rnn", gap], runs["lstm", gap], p))
        else:
            learned = f"learned in {last.learned_at} steps" if last.learned_at else f"not in {last.steps} steps"
            progress(done + work[i], sum(work), message=f"{cell.upper()}, gap {gap}: {learned}, {last.accuracy:.0%}")
    recall = [runs[cell, gap] for gap in gaps for cell in CELLS]
    return RnnResult(hello, gradients, gaps, recall)


# --------------------------------------------------------------------------- report


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def steps_text(r: RecallRun, cap: int) -> str:
    return str(r.learned_at) if r.learned_at is not None else f"not in {cap}"


def headline(rnn: RecallRun, lstm: RecallRun, p: dict) -> str:
    """The recall comparison at one gap, in one clause."""

    def said(r: RecallRun) -> str:
        if r.learned_at is None:
            return f"has not learned it after {p['max_steps']} steps ({r.accuracy:.0%})"
        return f"learns it in {r.learned_at} steps ({r.accuracy:.0%})"

    return (
        f"Recalling the first of {rnn.gap} tokens, the LSTM {said(lstm)} and the RNN {said(rnn)}, "
        f"chance {1 / p['symbols']:.0%}"
    )


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
    by = {(r.cell, r.gap): r for r in result.recall}
    longest = result.gaps[-1]
    rnn_long, lstm_long = by["rnn", longest], by["lstm", longest]
    cap = result.params["max_steps"]

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
    for r in result.recall:
        metrics[f"recall_accuracy_{r.cell}_gap_{r.gap}"] = r.accuracy
        metrics[f"recall_steps_{r.cell}_gap_{r.gap}"] = r.learned_at  # None: not learned within max_steps
    metrics |= {
        "recall_accuracy_rnn_longest_gap": rnn_long.accuracy,
        "recall_accuracy_lstm_longest_gap": lstm_long.accuracy,
        "recall_longest_gap": longest,
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
        f"Recall task: {result.params['symbols']} symbols, {result.params['hidden']} hidden units in each net, "
        f"Adam (lr {result.params['lr']:g}), gradients clipped to global norm {CLIP:g}, batches of {BATCH} fresh "
        f"sequences, float32; a net has learned when {LEARNED_WINDOW} batches in a row average "
        f"{LEARNED:.0%}, and stops there or at {cap} steps; accuracy on {EVAL_SEQUENCES} more sequences "
        f"(chance {chance:.0%}). Both nets see the same batches.",
        f"LSTM forget-gate bias {result.params['forget_bias']:g}: each cell starts keeping "
        f"{sigmoid(result.params['forget_bias']):.2f} of its content per step, "
        f"{sigmoid(result.params['forget_bias']) ** longest:.1e} after {longest} steps.",
        "What is measured is steps to learn, not a gap where the RNN must fail: with more steps the RNN learns "
        "longer gaps, but the steps it needs grow much faster with the gap than the LSTM's (see the docstring "
        "for longer runs).",
    ]
    return Report(
        headline=headline(rnn_long, lstm_long, result.params)
        + (
            f"; through 50 steps the gradient shrinks {small.norms[0] / small.norms[T50]:.0e}-fold with small "
            f"recurrent weights and grows {large.norms[T50] / large.norms[0]:.0e}-fold with large ones."
        ),
        metrics=metrics,
        series={  # log10 on a linear axis: 60 decades are more legible as exponents than as log-axis ticks
            f"scale {small.scale:g}": Series(list(GRAD_STEPS), np.log10(small.norms).tolist()),
            f"bound sqrt(H) {small.sigma_max:.2f}^T": Series(list(GRAD_STEPS), np.log10(bound_small).tolist()),
            f"scale {large.scale:g}": Series(list(GRAD_STEPS), np.log10(large.norms).tolist()),
            "RNN": Series(result.gaps, [by["rnn", g].accuracy for g in result.gaps]),
            "LSTM": Series(result.gaps, [by["lstm", g].accuracy for g in result.gaps]),
            "chance": Series(result.gaps, [chance] * len(result.gaps)),
        },
        plots=[
            Plot(
                "gradient reaching h_0 against sequence length",
                [f"scale {small.scale:g}", f"bound sqrt(H) {small.sigma_max:.2f}^T", f"scale {large.scale:g}"],
                "T",
                "log10 ||dL/dh_0||",
            ),
            Plot(
                f"recall the first token, after learning or {cap} steps",
                ["RNN", "LSTM", "chance"],
                "gap (sequence length)",
                "test accuracy",
            ),
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
                "3. recall the first token: Adam steps to learn it, and test accuracy",
                ["gap", "RNN steps", "RNN accuracy", "LSTM steps", "LSTM accuracy"],
                [
                    [g, steps_text(by["rnn", g], cap), by["rnn", g].accuracy]
                    + [steps_text(by["lstm", g], cap), by["lstm", g].accuracy]
                    for g in result.gaps
                ],
                percent=["RNN accuracy", "LSTM accuracy"],
            ),
        ],
        images=images,
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
