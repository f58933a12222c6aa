"""Time the NumPy layers of ``demos/`` against PyTorch on one CPU thread, float32 and float64, side by side.

    python benchmarks/bench_numpy_vs_torch.py [--repeats 7] [--scales 1 4 16]

Every case (the tiny CNN's training epoch, conv forward + backward at two
sizes, max-pool, the RNN) runs at 1x, 4x and 16x its batch, in float32 and in
float64. NumPy and PyTorch are timed interleaved (numpy, torch, numpy, torch,
... in one process, ``torch.set_num_threads(1)`` and one BLAS thread), so a
busy machine slows both. Each cell is the median time with its IQR and n;
``ratio`` is numpy's median over torch's: below 1 NumPy is faster. PyTorch is
an optional reference (``pip install torch``), never a dependency.

At small batches each operation's fixed overhead dominates, and NumPy's is
lower than PyTorch's (autograd bookkeeping, dispatch); as the batch grows the
arithmetic dominates and PyTorch's kernels (a fused im2col-free convolution,
a single RNN kernel) take over. The last lines name, per case and dtype, the
first scale at which NumPy stops winning.
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
from harness import keep_freed_memory  # noqa: E402


@dataclass
class Timed:
    """Interleaved samples of one case at one scale and dtype (seconds per call)."""

    case: str
    scale: int
    dtype: str
    numpy_s: list[float]
    torch_s: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.numpy_s) / statistics.median(self.torch_s)


def interleaved(numpy_fn: Callable[[], object], torch_fn: Callable[[], object], repeats: int, number: int):
    """``repeats`` samples of each, alternating numpy and torch, each the mean of ``number`` calls (one warm-up)."""
    numpy_fn(), torch_fn()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, into in ((numpy_fn, samples[0]), (torch_fn, samples[1])):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            into.append((time.perf_counter() - start) / number)
    return samples


def as_torch(torch, a: np.ndarray, dtype, grad: bool = False):
    return torch.tensor(a, dtype=dtype, requires_grad=grad)


# --------------------------------------------------------------------------- tiny CNN, one epoch


def numpy_epoch(dtype, batch_size: int, seed: int = 0) -> Callable[[], object]:
    """One epoch of the tiny CNN demo (constant learning rate, then the test pass), as ``tiny_cnn.train`` runs it."""
    data, rng = load(dtype=dtype), np.random.default_rng(seed)
    defaults = {p.name: p.default for p in tiny_cnn.PARAMS}
    weights = tiny_cnn.init_weights(rng, defaults["filters"], defaults["hidden"], dtype=dtype)
    settings = {k: defaults[k] for k in ("lr", "momentum", "dropout")}
    return lambda: tiny_cnn.train(weights, data, rng, epochs=1, schedule="constant", batch_size=batch_size, **settings)


def torch_epoch(torch, dtype, batch_size: int, seed: int = 0) -> Callable[[], object]:
    """The same network, optimizer, batch size and epoch in PyTorch (autograd: it trains)."""
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


def tiny_cnn_case(torch, dtypes, scale: int):
    batch = 32 * scale
    return numpy_epoch(dtypes[0], batch), torch_epoch(torch, dtypes[1], batch), 1


# --------------------------------------------------------------------------- convolution, max-pool


def conv_case(x_shape, w_shape, stride: int, pad: int, number: int):
    """Conv forward + backward (dx, dw, db); torch with autograd, as a network trains."""

    def make(torch, dtypes, scale: int):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(x_shape[0] * scale, *x_shape[1:])).astype(dtypes[0])
        w, b = rng.normal(size=w_shape).astype(dtypes[0]), rng.normal(size=w_shape[0]).astype(dtypes[0])
        param = {"stride": stride, "pad": pad}
        dout = rng.normal(size=layers.conv_forward(x, w, b, param)[0].shape).astype(dtypes[0])

        def numpy_step():
            _, cache = layers.conv_forward(x, w, b, param)
            return layers.conv_backward(dout, cache)

        xt, wt, bt = (as_torch(torch, a, dtypes[1], grad=True) for a in (x, w, b))
        dt = as_torch(torch, dout, dtypes[1])

        def torch_step():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad).backward(dt)

        return numpy_step, torch_step, max(1, number // scale)

    return make


def max_pool_case(torch, dtypes, scale: int):
    """2x2 max-pool forward + backward after a ReLU (many tied zeros, as in the CNN)."""
    rng = np.random.default_rng(0)
    x = np.maximum(rng.normal(size=(32 * scale, 16, 8, 8)), 0).astype(dtypes[0])
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = rng.normal(size=(32 * scale, 16, 4, 4)).astype(dtypes[0])

    def numpy_step():
        _, cache = layers.max_pool_forward(x, param)
        return layers.max_pool_backward(dout, cache)

    xt, dt = as_torch(torch, x, dtypes[1], grad=True), as_torch(torch, dout, dtypes[1])

    def torch_step():
        xt.grad = None
        torch.nn.functional.max_pool2d(xt, 2).backward(dt)

    return numpy_step, torch_step, max(1, 200 // scale)


# --------------------------------------------------------------------------- RNN


def rnn_case(backward: bool, N: int = 64, T: int = 100, D: int = 32, H: int = 128):
    """A tanh RNN over T steps: forward alone (torch without autograd), or forward + backward through time."""

    def make(torch, dtypes, scale: int):
        rng = np.random.default_rng(0)
        n = N * scale
        x, h0 = rng.normal(size=(n, T, D)).astype(dtypes[0]), rng.normal(size=(n, H)).astype(dtypes[0])
        Wx = rng.normal(0, D**-0.5, size=(D, H)).astype(dtypes[0])
        Wh = rng.normal(0, H**-0.5, size=(H, H)).astype(dtypes[0])
        b = np.zeros(H, dtype=dtypes[0])
        dh = rng.normal(size=(n, T, H)).astype(dtypes[0])

        def numpy_step():
            h, cache = layers.rnn_forward(x, h0, Wx, Wh, b)
            return layers.rnn_backward(dh, cache) if backward else h

        rnn = torch.nn.RNN(D, H, batch_first=True, dtype=dtypes[1])
        xt, h0t = as_torch(torch, x, dtypes[1], grad=backward), as_torch(torch, h0[None], dtypes[1])
        dht = as_torch(torch, dh, dtypes[1])

        def torch_step():
            if not backward:
                with torch.no_grad():
                    return rnn(xt, h0t)
            xt.grad = None
            rnn.zero_grad()
            rnn(xt, h0t)[0].backward(dht)

        return numpy_step, torch_step, max(1, (3 if backward else 5) // scale)

    return make


CASES = {
    "tiny CNN, one epoch (batch 32)": tiny_cnn_case,
    "conv fwd+bwd, tiny CNN: x (32,1,8,8), w (16,1,3,3)": conv_case((32, 1, 8, 8), (16, 1, 3, 3), 1, 1, 200),
    "conv fwd+bwd, CS231n: x (100,3,31,31), w (25,3,3,3) s2": conv_case((100, 3, 31, 31), (25, 3, 3, 3), 2, 1, 5),
    "max-pool 2x2 fwd+bwd, x (32,16,8,8)": max_pool_case,
    "RNN forward, N=64 T=100 D=32 H=128": rnn_case(backward=False),
    "RNN forward+backward, N=64 T=100 D=32 H=128": rnn_case(backward=True),
}


def run_all(torch, repeats: int, scales: list[int], only: str = "") -> list[Timed]:
    torch.set_num_threads(1)
    dtypes = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
    rows = []
    for case, make in CASES.items():
        if only not in case:
            continue
        for scale in scales:
            for name, pair in dtypes.items():
                print(f"{case} x{scale} {name} ...", file=sys.stderr, flush=True)
                numpy_fn, torch_fn, number = make(torch, pair, scale)
                rows.append(Timed(case, scale, name, *interleaved(numpy_fn, torch_fn, repeats, number)))
    return rows


# --------------------------------------------------------------------------- report


def cell(samples: list[float]) -> str:
    """``median [IQR]`` in milliseconds."""
    q1, q2, q3 = statistics.quantiles(samples, n=4, method="inclusive") if len(samples) > 1 else samples * 3
    return f"{q2 * 1e3:8.2f} [{q1 * 1e3:.2f}-{q3 * 1e3:.2f}]"


def format_rows(rows: list[Timed]) -> str:
    lines = []
    for case in dict.fromkeys(r.case for r in rows):
        lines += ["", case, f"  {'batch':>5}  {'dtype':<7}  {'numpy ms [IQR]':>26}  {'torch ms [IQR]':>26}  ratio  n"]
        for r in (r for r in rows if r.case == case):
            lines.append(
                f"  {str(r.scale) + 'x':>5}  {r.dtype:<7}  {cell(r.numpy_s):>26}  {cell(r.torch_s):>26}  "
                f"{r.ratio:5.2f}  {len(r.numpy_s)}"
            )
    return "\n".join(lines[1:])


def where_numpy_stops_winning(rows: list[Timed]) -> list[str]:
    out = []
    for case in dict.fromkeys(r.case for r in rows):
        for dtype in ("float32", "float64"):
            mine = sorted((r for r in rows if r.case == case and r.dtype == dtype), key=lambda r: r.scale)
            losing = next((r for r in mine if r.ratio > 1.0), None)
            ratios = ", ".join(f"{r.scale}x {r.ratio:.2f}" for r in mine)
            verdict = f"NumPy slower from {losing.scale}x" if losing else "NumPy at least as fast at every scale"
            out.append(f"{case}, {dtype}: {verdict} ({ratios})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved samples per measurement (default 7)")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16], help="batch multiples (default 1 4 16)")
    parser.add_argument("--only", default="", help="only the cases whose name contains this text")
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's allocator as it starts (by default both contenders get the settings every demo runs"
        " with: harness.keep_freed_memory)",
    )
    args = parser.parse_args(argv)
    if not args.default_malloc:
        keep_freed_memory()  # process-wide: PyTorch's CPU tensors come from the same malloc
    try:
        import torch
    except ImportError:
        print("bench_numpy_vs_torch: PyTorch is not installed; nothing to compare against.", file=sys.stderr)
        return 0
    load(), load(dtype=np.float32)  # reading the digits is not part of any timing
    rows = run_all(torch, args.repeats, args.scales, args.only)
    print(f"NumPy {np.__version__} vs PyTorch {torch.__version__}, 1 thread, interleaved, n = {args.repeats}")
    print(format_rows(rows))
    print("\nratio = numpy median / torch median (below 1: NumPy is faster)")
    print("\n".join(where_numpy_stops_winning(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
