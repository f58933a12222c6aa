"""The deep-features demo: PCA, silhouette and k-NN against scikit-learn, and features beating pixels over seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import deep_features
import numpy as np
import pytest
from digits import load

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "deep_features.py"
FAST = {"epochs": 1, "filters": 2, "hidden": 8}


@pytest.fixture(scope="module")
def fast_result() -> deep_features.DeepFeaturesResult:
    return deep_features.run(seed=1, **FAST)


def blobs(rng: np.random.Generator, n: int = 90, d: int = 5) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 3, n)
    return rng.normal(size=(n, d)) + 2.0 * labels[:, None], labels


def test_pca_matches_scikit_learn_up_to_the_sign_of_each_direction():
    from sklearn.decomposition import PCA

    X = load().x_train.reshape(-1, 64)
    mean, directions = deep_features.pca_fit(X)
    z = deep_features.pca_transform(X, mean, directions)
    reference = PCA(n_components=2).fit(X)
    signs = np.sign(np.sum(directions * reference.components_, axis=1))
    assert np.allclose(directions * signs[:, None], reference.components_, atol=1e-10)
    assert np.allclose(z * signs, reference.transform(X), atol=1e-10)


def test_silhouette_matches_scikit_learn_including_a_single_point_class():
    from sklearn.metrics import silhouette_score

    X, labels = blobs(np.random.default_rng(0))
    labels[0] = 7  # a class of one point scores 0
    assert abs(deep_features.silhouette(X, labels) - silhouette_score(X, labels)) < 1e-12


def test_k_nearest_neighbours_matches_scikit_learn():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    X, labels = blobs(rng, n=200, d=2)
    X_test = rng.normal(size=(100, 2)) * 3.0
    for k in (1, 4, 5):
        expected = KNeighborsClassifier(k).fit(X, labels).predict(X_test)
        assert np.array_equal(deep_features.knn_predict(X, labels, X_test, k), expected), k


def test_class_map_puts_each_point_in_its_grid_cell():
    z = np.array([[0.0, 0.0], [1.0, 1.0], [0.9, 0.95], [0.0, 1.0]])
    y = np.array([3, 5, 5, 2])
    assert deep_features.class_map(z, y, rows=2, cols=2) == [[2, 5], [3, None]]


@pytest.mark.slow
def test_trained_features_separate_unseen_digits_far_better_than_pixels_median_over_seeds_0_to_2():
    from sklearn.metrics import silhouette_score

    data = load()
    pixel_silhouette = silhouette_score(data.x_test.reshape(-1, 64), data.y_test)
    results = [deep_features.run(seed=seed) for seed in range(3)]
    for r in results:
        assert abs(r.pixels.silhouette - pixel_silhouette) < 1e-12
        assert abs(r.features.silhouette_2d - silhouette_score(r.features.test_2d, data.y_test)) < 1e-12
    # at least twice the pixels' silhouette, in the full space and in 2-D ...
    assert np.median([r.features.silhouette for r in results]) > 2 * pixel_silhouette
    assert np.median([r.features.silhouette_2d for r in results]) > 2 * np.median(
        [r.pixels.silhouette_2d for r in results]
    )
    # ... and 10 points more of the test digits read by 5-NN in the 2-D projection
    gains = [r.features.knn_2d_accuracy - r.pixels.knn_2d_accuracy for r in results]
    assert np.median(gains) > 0.10, gains
    # a linear probe reads the pixels almost as well as the features: separability was there already
    assert all(r.pixels.probe_accuracy > 0.95 for r in results)
    assert all(abs(r.features.probe_accuracy - r.pixels.probe_accuracy) < 0.03 for r in results)


def test_linear_probe_matches_scikit_learns_logistic_regression_on_the_pixels():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    data = load()
    x_train, x_test = data.x_train.reshape(-1, 64), data.x_test.reshape(-1, 64)
    ours = deep_features.linear_probe(x_train, data.y_train, x_test, data.y_test)
    scaler = StandardScaler().fit(x_train)
    # the same objective: mean cross-entropy + (l2 / 2) |W|^2  <=>  C = 1 / (N l2), bias not penalised
    C = 1.0 / (len(x_train) * deep_features.PROBE_L2)
    reference = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(x_train), data.y_train)
    theirs = reference.score(scaler.transform(x_test), data.y_test)
    assert abs(ours - theirs) <= 2 / len(x_test), (ours, theirs)  # within two test digits
    assert ours > 0.95


def test_run_is_deterministic_for_a_seed(fast_result):
    again = deep_features.run(seed=1, **FAST)
    assert np.array_equal(again.features.test_2d, fast_result.features.test_2d)
    assert again.features.knn_2d_accuracy == fast_result.features.knn_2d_accuracy


def test_report_has_a_scatter_series_per_digit_for_pixels_and_features(fast_result):
    rep = deep_features.report(fast_result)
    assert [len(p.series) for p in rep.plots] == [10, 10]
    points = sum(len(rep.series[name].x) for name in rep.plots[1].series)
    assert points == len(fast_result.y_test)
    assert [im.labels for im in rep.images] == [True, True]
    assert rep.metrics["silhouette_pixels"] == fast_result.pixels.silhouette


def test_script_prints_json_with_the_separation_scores():
    args = [f"--{k}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "deep_features"
    assert -1.0 <= result["metrics"]["silhouette_features"] <= 1.0


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--hidden", "1"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "hidden" in out.stderr
