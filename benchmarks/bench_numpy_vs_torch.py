"""Time the NumPy layers of ``demos/`` against PyTorch on one CPU thread, side by side.

    python benchmarks/bench_numpy_vs_torch.py [--repeats 7]

Each row is the median of several repeats, NumPy and PyTorch doing the same
work in float64 (NumPy's dtype), with ``numpy / torch`` the time ratio: below
1 NumPy is faster. A float32 PyTorch column is shown for reference. At these
small sizes the per-operation overhead dominates, which is why NumPy can keep
up. Timings on a shared machine vary by tens of percent: compare ratios from
one run.

The functions (``bench_tiny_cnn_epoch``, ``bench_conv``, ``bench_rnn``, ...)
return :class:`Row` lists, so another script can run them and print them with
:func:`format_rows`.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy (and its BLAS) is first imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demos"))

import layers  # noqa: E402
import tiny_cnn  # noqa: E402
from digits import load  # noqa: E402


@dataclass
class Row:
    name: str
    numpy_s: float
    torch_s: float
    torch32_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.numpy_s / self.torch_s


def median_time(fn: Callable[[], object], repeats: int, number: int = 1) -> float:
    """Median over ``repeats`` of the mean time of ``number`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


# --------------------------------------------------------------------------- tiny CNN, one epoch


def numpy_epoch(seed: int = 0) -> Callable[[], object]:
    """One epoch of the tiny CNN demo at its default settings (constant learning rate), with the test pass."""
    data, rng = load(), np.random.default_rng(seed)
    defaults = {p.name: p.default for p in tiny_cnn.PARAMS}
    weights = tiny_cnn.init_weights(rng, defaults["filters"], defaults["hidden"])
    settings = {k: defaults[k] for k in ("lr", "momentum", "batch_size", "dropout")}
    return lambda: tiny_cnn.train(weights, data, rng, epochs=1, schedule="constant", **settings)


def torch_epoch(torch, dtype, seed: int = 0) -> Callable[[], object]:
    """The same network, optimizer, batch size and epoch in PyTorch."""
    nn = torch.nn
    defaults = {p.name: p.default for p in tiny_cnn.PARAMS}
    filters, hidden = defaults["filters"], defaults["hidden"]
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, filters, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(filters * 16, hidden),
        nn.ReLU(),
        nn.Dropout(defaults["dropout"]),
        nn.Linear(hidden, 10),
    ).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=defaults["lr"], momentum=defaults["momentum"])
    data = load()
    x_train, y_train = torch.tensor(data.x_train, dtype=dtype), torch.tensor(data.y_train)
    x_test, y_test = torch.tensor(data.x_test, dtype=dtype), torch.tensor(data.y_test)
    batch_size = defaults["batch_size"]

    def epoch() -> float:
        model.train()
        order = torch.randperm(len(y_train))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            return (model(x_test).argmax(dim=1) == y_test).double().mean().item()

    return epoch


def bench_tiny_cnn_epoch(torch, repeats: int) -> list[Row]:
    return [
        Row(
            "tiny CNN, one epoch (45 steps of 32)",
            median_time(numpy_epoch(), repeats),
            median_time(torch_epoch(torch, torch.float64), repeats),
            median_time(torch_epoch(torch, torch.float32), repeats),
        )
    ]


# --------------------------------------------------------------------------- convolution


def bench_conv(torch, repeats: int) -> list[Row]:
    """Conv forward + backward (dx, dw, db) at the tiny CNN's shape and at CS231n's benchmark size."""
    rows = []
    rng = np.random.default_rng(0)
    cases = [
        ("conv fwd+bwd, tiny CNN: x (32,1,8,8), w (16,1,3,3)", (32, 1, 8, 8), (16, 1, 3, 3), 1, 1, 200),
        ("conv fwd+bwd, CS231n: x (100,3,31,31), w (25,3,3,3) s2", (100, 3, 31, 31), (25, 3, 3, 3), 2, 1, 5),
    ]
    for name, x_shape, w_shape, stride, pad, number in cases:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        param = {"stride": stride, "pad": pad}
        out, _ = layers.conv_forward(x, w, b, param)
        dout = rng.normal(size=out.shape)

        def numpy_step(x=x, w=w, b=b, param=param, dout=dout):
            _, cache = layers.conv_forward(x, w, b, param)
            return layers.conv_backward(dout, cache)

        def torch_step_for(dtype, x=x, w=w, b=b, stride=stride, pad=pad, dout=dout):
            xt, wt, bt = (torch.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b))
            dt = torch.tensor(dout, dtype=dtype)

            def step():
                xt.grad = wt.grad = bt.grad = None
                torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad).backward(dt)

            return step

        rows.append(
            Row(
                name,
                median_time(numpy_step, repeats, number),
                median_time(torch_step_for(torch.float64), repeats, number),
                median_time(torch_step_for(torch.float32), repeats, number),
            )
        )
    return rows


def bench_max_pool(torch, repeats: int) -> list[Row]:
    """2x2 max-pool forward + backward at the tiny CNN's shape."""
    rng = np.random.default_rng(0)
    x = np.maximum(rng.normal(size=(32, 16, 8, 8)), 0)  # after ReLU: many tied zeros, as in the CNN
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = rng.normal(size=(32, 16, 4, 4))

    def numpy_step():
        _, cache = layers.max_pool_forward(x, param)
        return layers.max_pool_backward(dout, cache)

    def torch_step_for(dtype):
        xt, dt = torch.tensor(x, dtype=dtype, requires_grad=True), torch.tensor(dout, dtype=dtype)

        def step():
            xt.grad = None
            torch.nn.functional.max_pool2d(xt, 2).backward(dt)

        return step

    return [
        Row(
            "max-pool 2x2 fwd+bwd, x (32,16,8,8)",
            median_time(numpy_step, repeats, 200),
            median_time(torch_step_for(torch.float64), repeats, 200),
            median_time(torch_step_for(torch.float32), repeats, 200),
        )
    ]


# --------------------------------------------------------------------------- RNN


def bench_rnn(torch, repeats: int, N: int = 64, T: int = 100, D: int = 64, H: int = 128) -> list[Row]:
    """A tanh RNN over T steps: forward alone, and forward + backward through time."""
    rng = np.random.default_rng(0)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(0, D**-0.5, size=(D, H)), rng.normal(0, H**-0.5, size=(H, H)), np.zeros(H)
    dh = rng.normal(size=(N, T, H))

    def numpy_forward():
        return layers.rnn_forward(x, h0, Wx, Wh, b)

    def numpy_forward_backward():
        _, cache = layers.rnn_forward(x, h0, Wx, Wh, b)
        return layers.rnn_backward(dh, cache)

    def torch_for(dtype, backward: bool):
        rnn = torch.nn.RNN(D, H, batch_first=True, dtype=dtype)
        xt, h0t = torch.tensor(x, dtype=dtype, requires_grad=backward), torch.tensor(h0[None], dtype=dtype)
        dht = torch.tensor(dh, dtype=dtype)

        def forward():
            with torch.no_grad():
                return rnn(xt, h0t)

        def forward_backward():
            xt.grad = None
            rnn.zero_grad()
            rnn(xt, h0t)[0].backward(dht)

        return forward_backward if backward else forward

    shape = f"N={N}, T={T}, D={D}, H={H}"
    return [
        Row(
            f"RNN forward, {shape}",
            median_time(numpy_forward, repeats, 5),
            median_time(torch_for(torch.float64, False), repeats, 5),
            median_time(torch_for(torch.float32, False), repeats, 5),
        ),
        Row(
            f"RNN forward+backward, {shape}",
            median_time(numpy_forward_backward, repeats, 3),
            median_time(torch_for(torch.float64, True), repeats, 3),
            median_time(torch_for(torch.float32, True), repeats, 3),
        ),
    ]


# --------------------------------------------------------------------------- report


def format_rows(rows: list[Row]) -> str:
    width = max(len(r.name) for r in rows)
    header = f"{'':{width}}  {'numpy':>9}  {'torch f64':>9}  {'ratio':>6}  {'torch f32':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        f32 = f"{r.torch32_s * 1e3:7.2f}ms" if r.torch32_s is not None else ""
        lines.append(f"{r.name:{width}}  {r.numpy_s * 1e3:7.2f}ms  {r.torch_s * 1e3:7.2f}ms  {r.ratio:6.2f}  {f32:>9}")
    return "\n".join(lines)


def run_all(torch, repeats: int) -> list[Row]:
    torch.set_num_threads(1)
    return [
        *bench_tiny_cnn_epoch(torch, repeats),
        *bench_conv(torch, repeats),
        *bench_max_pool(torch, repeats),
        *bench_rnn(torch, repeats),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per measurement (median)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_numpy_vs_torch: PyTorch is not installed; nothing to compare against.", file=sys.stderr)
        return 0
    load()  # scikit-learn's import and the data loading are not part of any timing
    rows = run_all(torch, args.repeats)
    print(f"NumPy {np.__version__} vs PyTorch {torch.__version__}, 1 thread, median of {args.repeats} repeats")
    print(format_rows(rows))
    print("ratio = numpy / torch float64 (below 1: NumPy is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
