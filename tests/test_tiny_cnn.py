"""The tiny CNN demo: its accuracy target, a whole-network gradient check, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tiny_cnn
from digits import load
from layers import eval_numerical_gradient, rel_error

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "tiny_cnn.py"
FAST = {"epochs": 1, "filters": 4, "hidden": 16}


@pytest.fixture(scope="module")
def fast_result() -> tiny_cnn.TinyCnnResult:
    return tiny_cnn.run(seed=3, **FAST)


@pytest.mark.slow
def test_default_settings_reach_98_percent_median_test_accuracy_over_seeds_0_to_4():
    accuracies = [tiny_cnn.run(seed=seed).test_accuracy for seed in range(5)]
    assert np.median(accuracies) >= 0.98, accuracies


def test_network_gradient_matches_numerical_gradient_off_the_kinks():
    rng = np.random.default_rng(0)
    data = load()
    x, y = data.x_train[:3], data.y_train[:3]
    weights = tiny_cnn.init_weights(rng, filters=4, hidden=8)
    for name in ("b1", "b2", "b3"):  # zero biases put blank pixels exactly on the ReLU kink
        weights[name] = rng.normal(0.0, 0.1, size=weights[name].shape)
    no_dropout = {"p": 0.0, "mode": "train"}
    _, grads = tiny_cnn.loss_and_grads(weights, x, y, no_dropout)

    def loss(_: np.ndarray) -> float:
        return tiny_cnn.loss_and_grads(weights, x, y, no_dropout)[0]

    for name, w in weights.items():
        assert rel_error(grads[name], eval_numerical_gradient(loss, w)) < 1e-5, name


def test_run_is_deterministic_for_a_seed(fast_result):
    again = tiny_cnn.run(seed=3, **FAST)
    other = tiny_cnn.run(seed=4, **FAST)
    assert again.history.step_loss == fast_result.history.step_loss
    assert np.array_equal(again.filters, fast_result.filters)
    assert not np.array_equal(other.filters, fast_result.filters)


def test_confusion_matrix_matches_scikit_learn_and_rows_sum_to_class_counts(fast_result):
    from sklearn.metrics import confusion_matrix

    data = load()
    assert np.array_equal(fast_result.confusion.sum(axis=1), np.bincount(data.y_test, minlength=10))
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    assert np.array_equal(tiny_cnn.confusion_matrix(y_true, y_pred), confusion_matrix(y_true, y_pred))


def test_forward_features_feed_the_final_dense_layer():
    rng = np.random.default_rng(1)
    weights = tiny_cnn.init_weights(rng, filters=4, hidden=8)
    x = load().x_test[:20]
    features = tiny_cnn.forward_features(weights, x)
    scores = features @ weights["W3"] + weights["b3"]  # (20, 8) @ (8, 10)
    assert features.shape == (20, 8)
    assert np.array_equal(scores.argmax(axis=1), tiny_cnn.predict(weights, x))


def test_train_leaves_the_initial_weights_untouched():
    rng = np.random.default_rng(2)
    initial = tiny_cnn.init_weights(rng, filters=2, hidden=4)
    before = {k: v.copy() for k, v in initial.items()}
    trained, _ = tiny_cnn.train(initial, load(), rng, epochs=1, lr=0.1, momentum=0.9, batch_size=64, dropout=0.0)
    assert all(np.array_equal(initial[k], before[k]) for k in initial)
    assert not np.array_equal(trained["W1"], initial["W1"])


def test_report_has_a_filter_image_per_filter_and_a_labelled_confusion_matrix(fast_result):
    rep = tiny_cnn.report(fast_result)
    filter_images = [im for im in rep.images if im.group.startswith("learned 3x3 filters")]
    assert len(filter_images) == FAST["filters"]
    assert all(np.shape(im.pixels) == (3, 3) for im in filter_images)
    assert [im.labels for im in rep.images].count(True) == 1
    assert rep.metrics["test_accuracy"] == fast_result.test_accuracy


def test_script_prints_json_with_test_accuracy():
    args = [f"--{k}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["demo"] == "tiny_cnn"
    assert 0.0 <= result["metrics"]["test_accuracy"] <= 1.0
    assert len(result["series"]["test accuracy"]["y"]) == 1


def test_script_refuses_a_bad_parameter_with_exit_code_2():
    out = subprocess.run([sys.executable, str(SCRIPT), "--epochs", "0"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "epochs" in out.stderr
