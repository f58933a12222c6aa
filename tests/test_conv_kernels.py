"""The conv-kernels demo: the convolution against a NumPy loop and closed forms, the energy shares, and its claim."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import conv_kernels
import numpy as np
import pytest
from conv_kernels import LAPLACIAN, SOBEL_X, SOBEL_Y
from digits import load
from layers import conv_forward_naive, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "conv_kernels.py"
FAST = {"epochs": 1, "filters": 3}


@pytest.fixture(scope="module")
def fast_result() -> conv_kernels.ConvKernelsResult:
    return conv_kernels.run(seed=1, **FAST)


def direct_convolution(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlation with zero padding 1, one output pixel at a time."""
    padded = np.zeros((image.shape[0] + 2, image.shape[1] + 2))
    padded[1:-1, 1:-1] = image
    out = np.zeros(image.shape)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = sum(padded[i + a, j + b] * kernel[a, b] for a in range(3) for b in range(3))
    return out


def test_convolve_matches_a_direct_loop_and_the_naive_conv_layer():
    images = load().x_test[:4]
    kernels = np.stack([SOBEL_X, SOBEL_Y, LAPLACIAN, np.random.default_rng(0).normal(size=(3, 3))])
    out = conv_kernels.convolve(images, kernels)
    loop = np.array([[direct_convolution(im[0], k) for k in kernels] for im in images])
    naive, _ = conv_forward_naive(images, kernels[:, None], np.zeros(4), {"stride": 1, "pad": 1})
    assert rel_error(out, loop) < 1e-12
    assert rel_error(out, naive) < 1e-12


def test_sobel_x_on_a_step_edge_gives_the_closed_form():
    # 0 on columns 0-3, 1 on columns 4-7. Sobel x = (right - left) summed with weights 1, 2, 1 down the rows:
    # 4 on both sides of the step (3 on the top and bottom rows, where the zero padding drops a weight of 1),
    # and -4 / -3 on the last column, where the image meets the zero padding.
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    expected = np.zeros((8, 8))
    expected[:, [3, 4]] = 4.0
    expected[:, 7] = -4.0
    expected[[0, 7]] *= 0.75
    gx = conv_kernels.convolve(step[None, None], SOBEL_X[None])[0, 0]
    gy = conv_kernels.convolve(step[None, None], SOBEL_Y[None])[0, 0]
    assert np.array_equal(gx, expected)
    assert np.array_equal(gy[1:-1], np.zeros((6, 8)))  # no change down the rows away from the padding


def test_sobel_x_on_a_ramp_is_eight_times_its_slope_and_the_laplacian_is_zero():
    ramp = np.tile(np.arange(8.0), (8, 1))  # brightness j: slope 1 per pixel
    gx = conv_kernels.convolve(ramp[None, None], SOBEL_X[None])[0, 0]
    lap = conv_kernels.convolve(ramp[None, None], LAPLACIAN[None])[0, 0]
    assert np.array_equal(gx[1:-1, 1:-1], np.full((6, 6), 8.0))  # (j + 1 - (j - 1)) * (1 + 2 + 1)
    assert np.array_equal(lap[1:-1, 1:-1], np.zeros((6, 6)))


def test_legendre_basis_is_orthonormal():
    B = conv_kernels.legendre_basis().reshape(9, 9)
    assert np.allclose(B @ B.T, np.eye(9), atol=1e-14)


def test_energy_shares_of_known_kernels():
    prewitt_x = np.tile([-1.0, 0.0, 1.0], (3, 1))
    kernels = np.stack([SOBEL_X, SOBEL_Y, LAPLACIAN, np.ones((3, 3)), prewitt_x])
    shares = conv_kernels.energy_shares(kernels)
    expected = [[0, 8 / 9, 1 / 9], [0, 8 / 9, 1 / 9], [0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert np.allclose(shares, expected, atol=1e-14)


def test_random_gaussian_kernels_average_one_two_and_six_ninths():
    kernels = np.random.default_rng(0).normal(size=(20000, 3, 3))
    shares = conv_kernels.energy_shares(kernels)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert np.allclose(shares.mean(axis=0), [1 / 9, 2 / 9, 6 / 9], atol=0.01)


def test_correlation_matches_numpy_corrcoef():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    assert abs(conv_kernels.correlation(a, a + b) - np.corrcoef(a.ravel(), (a + b).ravel())[0, 1]) < 1e-12


@pytest.mark.slow
def test_learned_filters_are_no_more_edge_like_than_random_sets_and_shed_constant_energy_seeds_0_to_4():
    results = [conv_kernels.run(seed=seed) for seed in range(5)]
    reports = [conv_kernels.report(r).metrics for r in results]
    learned = np.array([m["learned_first_order_share"] for m in reports])
    low = np.array([m["random_first_order_low"] for m in reports])
    high = np.array([m["random_first_order_high"] for m in reports])
    # the measure separates the hand-made kernels from random ones: Sobel 8/9, Laplacian 0, random sets in between
    assert all(m["sobel_x_first_order_share"] > 0.85 > high.max() for m in reports)
    assert all(m["laplacian_first_order_share"] < 1e-12 < low.min() for m in reports)
    # the learned sets stay far from Sobel, and typically inside the random sets' 95% range
    assert np.all(learned < 0.5), learned
    assert np.median(low) <= np.median(learned) <= np.median(high), (learned, low, high)
    # the old measure could not separate them: the Laplacian within 0.1 of the random filters
    assert all(abs(m["laplacian_edge_correlation"] - m["initial_edge_correlation"]) < 0.1 for m in reports)
    # the constant pattern's share of the filters' energy goes down in every run
    assert all(m["learned_constant_share"] < m["initial_constant_share"] for m in reports), reports
    # the same net trained on synthetic straight edges learns edge detectors: above the random sets' range
    edges = np.array([m["edges_first_order_share"] for m in reports])
    assert np.all(edges > high), (edges, high)
    assert all(m["edges_first_order_percentile"] >= 0.99 and m["edges_test_accuracy"] >= 0.95 for m in reports)


@pytest.mark.parametrize("label", range(conv_kernels.EDGE_ORIENTATIONS))
def test_synthetic_edges_have_the_orientation_of_their_label(label):
    # Sobel x answers a vertical edge (normal at 0 degrees), Sobel y a horizontal one (90): the generator's label
    # is the direction in which brightness changes.
    images, labels = conv_kernels.synthetic_edges(np.random.default_rng(label), 400, np.float64)
    images = images[labels == label]
    G = conv_kernels.convolve(images, np.stack([SOBEL_X, SOBEL_Y]))[:, :, 1:-1, 1:-1]  # inside: no padding effects
    gx, gy = G[:, 0].sum(axis=(1, 2)), G[:, 1].sum(axis=(1, 2))  # (N,) mean gradient direction per image
    angle = np.degrees(np.arctan2(gy, gx)) % 180  # polarity removed
    expected = label * 180 / conv_kernels.EDGE_ORIENTATIONS
    off = np.abs((angle - expected + 90) % 180 - 90)
    assert np.median(off) < 15, (label, np.median(off))
    assert images.shape[1:] == (1, 8, 8) and len(images) > 50


def test_null_distribution_is_the_closed_form_beta():
    # The 9 Legendre coefficients of a Gaussian kernel are i.i.d. N(0, 1) (an orthonormal basis), so the
    # first-order energy of F kernels over their total is chi2(2F) / (chi2(2F) + chi2(7F)) = Beta(F, 3.5F).
    stats = pytest.importorskip("scipy.stats")
    null = conv_kernels.first_order_null(np.random.default_rng(0), filters=16, draws=8000)
    expected = stats.beta(16, 56)
    assert abs(null.mean() - 2 / 9) < 0.002
    assert np.allclose(np.percentile(null, [2.5, 50, 97.5]), expected.ppf([0.025, 0.5, 0.975]), atol=0.004)


def test_top_patches_are_the_patches_with_the_largest_convolution_response():
    rng = np.random.default_rng(2)
    images = rng.uniform(size=(5, 1, 8, 8))  # continuous values: no ties among the responses
    kernels = rng.normal(size=(3, 3, 3))
    got = conv_kernels.top_patches(images, kernels, k=7)
    responses = conv_kernels.convolve(images, kernels)  # (5, 3, 8, 8)
    padded = np.pad(images[:, 0], ((0, 0), (1, 1), (1, 1)))
    for j in range(3):
        order = np.argsort(-responses[:, j].ravel())[:7]
        n, i, c = np.unravel_index(order, (5, 8, 8))
        expected = np.mean([padded[a, b : b + 3, d : d + 3] for a, b, d in zip(n, i, c, strict=True)], axis=0)
        assert np.allclose(got[j], expected, atol=1e-12)


def test_run_is_deterministic_for_a_seed(fast_result):
    again = conv_kernels.run(seed=1, **FAST)
    assert np.array_equal(again.learned.kernels, fast_result.learned.kernels)
    assert np.array_equal(again.learned.edge_correlation, fast_result.learned.edge_correlation)


def test_report_draws_the_kernels_the_digit_and_every_learned_filter(fast_result):
    rep = conv_kernels.report(fast_result)
    learned = [im for im in rep.images if im.group.startswith("learned 3x3 filters")]
    assert len(learned) == FAST["filters"]
    patches = [im for im in rep.images if im.group.startswith("what f1")]
    assert len(patches) == FAST["filters"] and all(np.shape(im.pixels) == (3, 3) for im in patches)
    assert all(np.shape(im.pixels) == (3, 3) for im in learned)
    assert rep.metrics["sobel_x_edge_correlation"] == float(fast_result.hand_made.edge_correlation[0])
    assert len(rep.tables[1].rows) == FAST["filters"]


def test_script_prints_json_with_the_edge_correlations():
    args = [f"--{k}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "conv_kernels"
    assert 0.0 < result["metrics"]["sobel_x_edge_correlation"] <= 1.0
    assert 0.0 <= result["metrics"]["learned_first_order_percentile"] <= 1.0


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--digit", "360"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "digit" in out.stderr
