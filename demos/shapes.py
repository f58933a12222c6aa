"""A conv layer's output size is (W - F + 2P)/S + 1, and each layer of a CNN sees a larger patch of the input.

For an input ``W`` pixels wide, a kernel of size ``F``, zero padding ``P`` and
stride ``S``, a convolution (or pooling) layer's output is

    W_out = (W - F + 2P) / S + 1

wide (CS231n's formula; when it is not a whole number the last columns are
never covered and frameworks round down). The **receptive field** of a unit is
the patch of input pixels that can change it. With ``j`` the distance, in
input pixels, between neighbouring units of a layer (its *jump*) and ``r`` its
receptive field, a layer of kernel ``F`` and stride ``S`` gives

    r_out = r_in + (F - 1) j_in        j_out = j_in S

(Araujo, Norris & Sim 2019): stacking 3x3 convs grows ``r`` by 2 each, and a
stride-2 pooling doubles how fast it grows afterwards.

The demo traces the tiny CNN's stack (``tiny_cnn.py``: 3x3 conv with padding
1, ReLU, 2x2 max-pool, flatten, dense, dense), or a deeper one with ``--convs``,
layer by layer: shape, weights, receptive field. It checks every shape against
the real forward pass (``layers.conv_forward``, ``max_pool_forward``), and
every receptive field against an experiment: with positive kernels and a
positive image, a large bump on one input pixel changes the centre output unit
exactly when that pixel is in its receptive field.

References: CS231n "Convolutional Neural Networks" notes (the output-size
formula and its examples); Araujo, Norris & Sim 2019, "Computing Receptive
Fields of Convolutional Neural Networks" (Distill); LeCun et al. 1998.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from harness import Param, Progress, Report, Result, Table, main, takes
from layers import conv_forward, max_pool_forward, relu_forward

PARAMS = [
    Param("size", 8, "input image width and height (the digits: 8)", low=1, high=256),
    Param("convs", 1, "conv -> ReLU -> pool blocks (the tiny CNN has 1)", low=1, high=4),
    Param("kernel", 3, "conv kernel size F", low=1, high=11),
    Param("pad", 1, "conv zero padding P", low=0, high=5),
    Param("stride", 1, "conv stride S", low=1, high=4),
    Param("pool", 2, "max-pool size and stride (1: no pooling)", low=1, high=4),
    Param("filters", 16, "filters per conv layer", low=1, high=256),
    Param("hidden", 64, "units in the dense hidden layer", low=1, high=1024),
]
CLASSES = 10
SHOWN = ("input", "conv", "pool", "flatten")
"""The layers whose shapes the headline lists (ReLU and the dense layers are in the table)."""


@dataclass
class LayerRow:
    name: str
    shape: tuple[int, ...]
    """Output shape per image, from the formula."""
    formula: str
    weights: int
    receptive_field: int
    """Side of the input patch one output unit sees (the formula; 0 after flattening: the whole image)."""
    jump: int
    start: float = 0.0
    """Input position (pixel index) of the centre of unit 0's receptive field."""
    measured_shape: tuple[int, ...] | None = None
    measured_receptive_field: int | None = None


def out_size(W: int, F: int, P: int, S: int) -> Fraction:
    """``(W - F + 2P) / S + 1``, exactly: a non-integer means the layer does not tile its input."""
    return Fraction(W - F + 2 * P, S) + 1


@dataclass
class Trace:
    rows: list[LayerRow] = field(default_factory=list)
    error: str = ""
    """Why the stack does not fit the image (empty when it does)."""


def trace(p: dict) -> Trace:
    """Every layer's output shape, weight count and receptive field, from the formulas alone."""
    t = Trace()
    C, W, r, j, c = 1, p["size"], 1, 1, 0.0
    t.rows.append(LayerRow("input", (C, W, W), "", 0, r, j, c))
    for block in range(1, p["convs"] + 1):
        F, P, S = p["kernel"], p["pad"], p["stride"]
        exact = out_size(W, F, P, S)
        if exact < 1:
            t.error = f"conv{block}: ({W} - {F} + 2*{P})/{S} + 1 = {float(exact):g} < 1: the kernel does not fit"
            return t
        note = "" if exact.denominator == 1 else f" = {float(exact):.2f}, rounded down"
        W, r, j, c = int(exact), r + (F - 1) * j, j * S, c + ((F - 1) / 2 - P) * j
        weights = p["filters"] * C * F * F + p["filters"]
        C = p["filters"]
        t.rows.append(
            LayerRow(
                f"conv{block} {F}x{F}, pad {P}, stride {S}",
                (C, W, W),
                f"({t.rows[-1].shape[1]} - {F} + 2*{P})/{S} + 1{note}",
                weights,
                r,
                j,
                c,
            )
        )
        t.rows.append(LayerRow(f"relu{block}", (C, W, W), "same", 0, r, j, c))
        if p["pool"] > 1:
            k = p["pool"]
            exact = out_size(W, k, 0, k)
            if exact < 1:
                t.error = f"pool{block}: ({W} - {k})/{k} + 1 = {float(exact):g} < 1: the map is smaller than the pool"
                return t
            note = "" if exact.denominator == 1 else f" = {float(exact):.2f}, rounded down"
            W, r, j, c = int(exact), r + (k - 1) * j, j * k, c + (k - 1) / 2 * j
            t.rows.append(
                LayerRow(
                    f"pool{block} {k}x{k}, stride {k}",
                    (C, W, W),
                    f"({t.rows[-1].shape[1]} - {k})/{k} + 1{note}",
                    0,
                    r,
                    j,
                    c,
                )
            )
    flat = C * W * W
    t.rows.append(LayerRow("flatten", (flat,), f"{C}*{W}*{W}", 0, 0, 0))
    t.rows.append(LayerRow("dense", (p["hidden"],), "", flat * p["hidden"] + p["hidden"], 0, 0))
    t.rows.append(LayerRow("dense (scores)", (CLASSES,), "", p["hidden"] * CLASSES + CLASSES, 0, 0))
    return t


def feature_stack(p: dict, x: np.ndarray, ones: bool = False) -> list[np.ndarray]:
    """The real forward pass of the conv blocks on ``x`` (N, 1, W, W): every layer's output, in trace order.

    ``ones``: all-ones kernels and zero biases (for the receptive-field experiment); otherwise random ones.
    """
    rng = np.random.default_rng(0)
    outs, h = [], x
    for _ in range(p["convs"]):
        shape = (p["filters"], h.shape[1], p["kernel"], p["kernel"])
        w = np.ones(shape) if ones else rng.normal(size=shape)
        h, _ = conv_forward(h, w, np.zeros(p["filters"]), {"stride": p["stride"], "pad": p["pad"]})  # (N, F, W', W')
        outs.append(h)
        h, _ = relu_forward(h)
        outs.append(h)
        if p["pool"] > 1:
            h, _ = max_pool_forward(h, {"pool_height": p["pool"], "pool_width": p["pool"], "stride": p["pool"]})
            outs.append(h)
    return outs


def measured_receptive_field(p: dict, last: int) -> int:
    """Side of the input patch that changes the centre unit of conv-stack output ``last`` (an index into
    :func:`feature_stack`): bump one pixel at a time along the row and the column through that unit's
    receptive field, on an image large enough that the field is not clipped by the border."""
    p = {**p, "filters": 1}  # all-ones kernels make every channel the same: one is enough
    deepest = max(r.receptive_field for r in trace({**p, "size": 4096}).rows)
    size = 2 * deepest + 8  # the whole stack must fit, and the centre unit's field must not touch the border
    row = trace({**p, "size": size}).rows[last + 1]
    x = np.random.default_rng(1).uniform(0.5, 1.0, size=(1, 1, size, size))
    base = feature_stack(p, x, ones=True)[last]  # (1, 1, H, W)
    u = base.shape[2] // 2
    centre = int(round(row.start + u * row.jump))  # input pixel at the middle of unit (u, u)'s field

    def changes(a: int, b: int) -> bool:
        bumped = x.copy()
        bumped[0, 0, a, b] += 1000.0
        return bool(feature_stack(p, bumped, ones=True)[last][0, 0, u, u] != base[0, 0, u, u])

    across = [b for b in range(size) if changes(centre, b)]
    down = [a for a in range(size) if changes(a, centre)]
    return max(across[-1] - across[0] + 1, down[-1] - down[0] + 1) if across and down else 0


@dataclass
class ShapesResult(Result):
    trace: Trace


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> ShapesResult:
    t = trace(p)
    if not t.error:
        outs = feature_stack(p, np.zeros((2, 1, p["size"], p["size"])))
        for row, out in zip(t.rows[1:], outs, strict=False):
            row.measured_shape = tuple(out.shape[1:])
        flat = int(np.prod(outs[-1].shape[1:]))
        t.rows[len(outs) + 1].measured_shape = (flat,)
        for i, row in enumerate(t.rows[1 : len(outs) + 1]):
            if not row.name.startswith("relu"):
                row.measured_receptive_field = measured_receptive_field(p, i)
            if progress is not None:
                progress(i + 1, len(outs), message=f"receptive field of {row.name}")
    return ShapesResult(t)


def report(result: ShapesResult) -> Report:
    t = result.trace
    rows = [
        [
            r.name,
            " x ".join(map(str, r.shape)),
            r.formula,
            " x ".join(map(str, r.measured_shape)) if r.measured_shape else None,
            r.weights,
            f"{r.receptive_field}x{r.receptive_field}" if r.receptive_field else "whole image",
            r.measured_receptive_field,
            r.jump or None,
        ]
        for r in t.rows
    ]
    table = Table(
        "the stack, layer by layer (shape per image: channels x height x width)",
        ["layer", "shape", "(W - F + 2P)/S + 1", "forward pass", "weights", "receptive field", "measured", "jump"],
        rows,
    )
    total = sum(r.weights for r in t.rows)
    shapes_ok = all(r.measured_shape in (None, r.shape) for r in t.rows)
    fields_ok = all(r.measured_receptive_field in (None, r.receptive_field) for r in t.rows)
    convs = [r for r in t.rows if r.name.startswith(("conv", "pool"))]
    if t.error:
        headline = f"This stack does not fit a {result.params['size']}x{result.params['size']} image: {t.error}."
    else:
        last = convs[-1]
        headline = (
            f"The {result.params['size']}x{result.params['size']} input becomes "
            f"{' -> '.join(' x '.join(map(str, r.shape)) for r in t.rows if r.name.startswith(SHOWN))}"
            f" values; after {last.name.split(' ')[0]} each unit sees a "
            f"{last.receptive_field}x{last.receptive_field} "
            f"patch of the input. {total:,} weights, {t.rows[-2].weights:,} of them in the first dense layer. "
            f"Shapes {'match' if shapes_ok else 'DO NOT match'} the forward pass; receptive fields "
            f"{'match' if fields_ok else 'DO NOT match'} the bump experiment."
        )
    return Report(
        headline=headline,
        metrics={
            "weights": total,
            "dense_weights_share": t.rows[-2].weights / total if total and not t.error else None,
            "final_receptive_field": convs[-1].receptive_field if convs else None,
            "shapes_match": int(shapes_ok),
            "receptive_fields_match": int(fields_ok),
            "fits": int(not t.error),
        },
        tables=[table],
        notes=[
            "Receptive field: the side of the input patch that can change one unit; measured by adding 1000 to one "
            "pixel at a time (all-ones kernels, positive image) and watching the centre unit of that layer.",
            "ReLU and flattening change no receptive field; after flattening each dense unit sees the whole image.",
            "Most weights sit in the first dense layer: a conv layer's weights do not depend on the image size, "
            "a dense layer's grow with it.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
