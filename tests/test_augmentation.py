"""The augmentation demo: its affine warp (identity, shifts, 90-degree turns, against scipy), the robustness
that augmentation buys at default settings, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import augmentation
import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "augmentation.py"
FAST = {"epochs": 2, "copies": 1}


def identity(N: int) -> np.ndarray:
    return np.tile(np.eye(2), (N, 1, 1))


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).random((5, 8, 8))


@pytest.fixture(scope="module")
def fast_result() -> augmentation.AugmentationResult:
    return augmentation.run(seed=1, **FAST)


def test_identity_warp_returns_the_image(images):
    assert np.array_equal(augmentation.warp(images, identity(5), np.zeros((5, 2))), images)


@pytest.mark.parametrize("dx, dy", [(1, 0), (0, -1), (2, 3), (-3, 1), (8, 0)])
def test_whole_pixel_shift_equals_np_roll_with_blank_fill(images, dx, dy):
    expected = np.roll(images, (dy, dx), axis=(1, 2))
    rows, cols = np.mgrid[0:8, 0:8]
    wrapped = (rows - dy < 0) | (rows - dy > 7) | (cols - dx < 0) | (cols - dx > 7)  # what np.roll wraps round
    expected[:, wrapped] = 0.0
    shifted = augmentation.warp(images, identity(5), np.tile([float(dx), float(dy)], (5, 1)))
    assert np.array_equal(shifted, expected)


@pytest.mark.parametrize("quarter_turns", [1, 2, 3, -1])
def test_rotation_by_quarter_turns_equals_np_rot90(images, quarter_turns):
    A = augmentation.affine_matrix(np.full(5, quarter_turns * np.pi / 2), np.ones(5), np.zeros(5))
    turned = augmentation.warp(images, A, np.zeros((5, 2)))
    assert np.max(np.abs(turned - np.rot90(images, quarter_turns, axes=(1, 2)))) < 1e-12


def test_random_affine_warp_matches_scipy_bilinear_affine_transform(images):
    from scipy.ndimage import affine_transform

    rng = np.random.default_rng(1)
    A = augmentation.affine_matrix(rng.uniform(-1, 1, 5), rng.uniform(0.7, 1.3, 5), rng.uniform(-0.5, 0.5, 5))
    t = rng.uniform(-2, 2, size=(5, 2))
    ours = augmentation.warp(images, A, t)
    swap = np.array([[0, 1], [1, 0]])  # scipy works in (row, column) order, the warp in (x, y)
    centre = np.array([3.5, 3.5])
    for n in range(5):
        M = swap @ np.linalg.inv(A[n]) @ swap  # output (row, col) -> input (row, col)
        offset = centre - M @ (centre + swap @ t[n])
        reference = affine_transform(images[n], M, offset=offset, order=1, mode="grid-constant", cval=0.0)
        assert np.max(np.abs(ours[n] - reference)) < 1e-12


def test_bilinear_interpolation_reproduces_a_linear_ramp_between_pixels():
    rows, cols = np.mgrid[0:8, 0:8]
    ramp = (2.0 * cols + 3.0 * rows + 1.0)[None]  # (1, 8, 8)
    y, x = np.array([[[2.25, 5.5]]]), np.array([[[0.75, 6.1]]])
    assert np.allclose(augmentation.bilinear(ramp, y, x), 2.0 * x + 3.0 * y + 1.0, rtol=0, atol=1e-12)


def test_shear_moves_rows_sideways_in_proportion_to_their_height():
    A = augmentation.affine_matrix(np.zeros(1), np.ones(1), np.ones(1))  # x' = x + y
    p = np.array([2.0, -3.0])
    assert np.allclose(A[0] @ p, [-1.0, -3.0])


def test_augmented_copies_keep_pixel_range_and_differ_from_the_originals(fast_result):
    copies = fast_result.shown_copies
    assert copies.min() >= 0.0 and copies.max() <= 1.0
    assert not np.allclose(copies[:, 0], fast_result.shown_originals)


def test_both_nets_take_the_same_number_of_sgd_steps(fast_result):
    rep = augmentation.report(fast_result)
    assert rep.metrics["steps_plain"] == rep.metrics["steps_augmented"]
    assert fast_result.augmented.training_images == 2 * fast_result.plain.training_images
    assert len(rep.series["plain"].y) == len(augmentation.SWEEP_ANGLES)
    zero = list(augmentation.SWEEP_ANGLES).index(0.0)
    assert rep.series["plain"].y[zero] == fast_result.plain.clean_accuracy  # a 0-degree turn is the clean set


def test_run_is_deterministic_for_a_seed(fast_result):
    again = augmentation.run(seed=1, **FAST)
    assert again.augmented.warped_accuracy == fast_result.augmented.warped_accuracy
    assert np.array_equal(again.warped_test, fast_result.warped_test)


@pytest.mark.slow
def test_augmentation_wins_by_20_points_on_rotated_shifted_digits_median_over_seeds_0_to_2():
    metrics = [augmentation.report(augmentation.run(seed=seed)).metrics for seed in range(3)]
    gains = [m["warped_accuracy_augmented"] - m["warped_accuracy_plain"] for m in metrics]
    clean_change = [m["clean_accuracy_augmented"] - m["clean_accuracy_plain"] for m in metrics]
    assert np.median(gains) >= 0.20, gains
    assert np.median(clean_change) >= -0.01, clean_change  # robustness not bought with clean accuracy
    overfitting = [m["overfitting_gap_plain"] - m["overfitting_gap_augmented"] for m in metrics]
    assert np.median(overfitting) > 0, overfitting


def test_script_prints_json_with_both_accuracies():
    args = [f"--{k}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "augmentation"
    assert 0.0 <= result["metrics"]["warped_accuracy_augmented"] <= 1.0
    assert len(result["images"]) > 0


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--copies", "0"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "copies" in out.stderr
