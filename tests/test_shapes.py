"""The shape tracer: CS231n's worked examples, the tiny CNN's real shapes and weights, measured receptive fields."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import shapes
import tiny_cnn

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "shapes.py"


@pytest.mark.parametrize(
    ("W", "F", "P", "S", "expected"),
    [
        (7, 3, 0, 1, 5),  # CS231n: 7x7 input, 3x3 filter, stride 1 -> 5x5
        (7, 3, 0, 2, 3),  # ... stride 2 -> 3x3
        (7, 3, 0, 3, Fraction(7, 3)),  # ... stride 3 does not fit: 2.33
        (227, 11, 0, 4, 55),  # AlexNet's first layer
        (32, 5, 2, 1, 32),  # padding (F - 1) / 2 keeps the size
    ],
)
def test_output_size_reproduces_cs231n_examples(W, F, P, S, expected):
    assert shapes.out_size(W, F, P, S) == expected


def test_default_trace_is_the_tiny_cnns_real_forward_pass_and_weight_count():
    p = {q.name: q.default for q in shapes.PARAMS}
    rows = shapes.trace(p).rows
    weights = tiny_cnn.init_weights(np.random.default_rng(0), p["filters"], p["hidden"])
    _, caches = tiny_cnn.forward(weights, np.zeros((2, 1, 8, 8)), {"p": 0.0, "mode": "test"})
    conv_out = caches[1]  # relu_forward's cache is its output: (N, F, 8, 8)
    fc1_rows, fc1_input_shape = caches[3][:2]  # affine_forward's cache: its input as rows, and its shape
    by_name = {r.name.split(" ")[0]: r.shape for r in rows}
    assert by_name["relu1"] == conv_out.shape[1:]
    assert by_name["pool1"] == fc1_input_shape[1:]  # the pooled maps (F, 4, 4)
    assert by_name["flatten"] == fc1_rows.shape[1:]
    assert sum(r.weights for r in rows) == sum(w.size for w in weights.values())


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"convs": 2},
        {"convs": 2, "kernel": 5, "pad": 2, "stride": 2, "size": 28},
        {"convs": 3, "pool": 1, "size": 12},
        {"size": 9, "stride": 2, "pad": 0, "pool": 1},  # (9 - 3)/2 + 1 = 4
        {"size": 8, "stride": 2, "pad": 0, "pool": 1},  # 3.5: rounded down, as conv_forward does
    ],
)
def test_shapes_and_receptive_fields_match_the_forward_pass_and_the_bump_experiment(given):
    result = shapes.run(**given)
    for row in result.trace.rows:
        if row.measured_shape is not None:
            assert row.measured_shape == row.shape, row
        if row.measured_receptive_field is not None:
            assert row.measured_receptive_field == row.receptive_field, row
    assert any(r.measured_receptive_field for r in result.trace.rows)
    m = shapes.report(result).metrics
    assert m["shapes_match"] == 1 and m["receptive_fields_match"] == 1


def test_receptive_field_grows_by_f_minus_1_per_conv_and_doubles_its_growth_after_a_pool():
    rows = shapes.trace({**{q.name: q.default for q in shapes.PARAMS}, "convs": 2}).rows
    fields = {r.name.split(" ")[0]: r.receptive_field for r in rows}
    assert (fields["conv1"], fields["pool1"], fields["conv2"], fields["pool2"]) == (3, 4, 8, 10)


def test_a_stack_that_does_not_fit_is_one_sentence_not_a_traceback():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--size", "8", "--kernel", "5", "--pad", "0", "--convs", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["metrics"]["fits"] == 0
    assert "conv2: (2 - 5 + 2*0)/1 + 1 = -2 < 1" in result["headline"]
