"""The fine-tuning demo: on a few images of a new domain, small-rate fine-tuning beats training from scratch and
keeps the pretrained filters and the old task; a large rate loses all three. Measured over seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fine_tuning
import numpy as np
import pytest
import tiny_cnn
from digits import Digits, load

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "fine_tuning.py"
FAST = {"labels_per_class": 2, "pretrain_epochs": 1, "steps": 5, "filters": 2, "hidden": 8}
SEEDS = range(5)


@pytest.fixture(scope="module")
def fast_result() -> fine_tuning.FineTuningResult:
    return fine_tuning.run(seed=1, **FAST)


@pytest.fixture(scope="module")
def default_results() -> list[fine_tuning.FineTuningResult]:
    return [fine_tuning.run(seed=seed) for seed in SEEDS]


def accuracies(results: list[fine_tuning.FineTuningResult], name: str) -> np.ndarray:
    return np.array([r.variant(name).new_accuracy for r in results])


# --------------------------------------------------------------------------- the new domains


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).random((4, 1, 8, 8))


def test_bold_is_a_grey_dilation_with_a_cross_shaped_footprint(images):
    ndimage = pytest.importorskip("scipy.ndimage")
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
    expected = [ndimage.grey_dilation(im[0], footprint=cross, mode="constant", cval=0.0) for im in images]
    np.testing.assert_array_equal(fine_tuning.to_domain(images, "bold")[:, 0], expected)


def test_blur_is_a_binomial_convolution_with_zero_padding(images):
    ndimage = pytest.importorskip("scipy.ndimage")
    kernel = np.outer([1, 2, 1], [1, 2, 1]) / 16.0
    expected = [ndimage.convolve(im[0], kernel, mode="constant", cval=0.0) for im in images]
    np.testing.assert_allclose(fine_tuning.to_domain(images, "blur")[:, 0], expected, rtol=0, atol=1e-12)


def test_thin_rot90_and_invert_follow_their_definitions_pixel_by_pixel(images):
    thin = fine_tuning.to_domain(images, "thin")
    rot = fine_tuning.to_domain(images, "rot90")
    inverted = fine_tuning.to_domain(images, "invert")
    for n, r, c in np.ndindex(4, 8, 8):
        v = images[n, 0, r, c]
        assert thin[n, 0, r, c] == (2 * v - 1 if v > 0.5 else 0.0)
        assert rot[n, 0, 7 - c, r] == v  # a quarter turn anticlockwise: the right column becomes the top row
        assert inverted[n, 0, r, c] == 1.0 - v


def test_an_unknown_domain_is_refused(images):
    with pytest.raises(ValueError, match="sideways"):
        fine_tuning.to_domain(images, "sideways")


# --------------------------------------------------------------------------- data and training helpers


def test_pool_keeps_the_same_number_of_every_digit_out_of_pre_training():
    data = load()
    source, pool = fine_tuning.split_off_pool(data, 7, np.random.default_rng(2))
    assert np.array_equal(np.bincount(data.y_train[pool]), [7] * 10)
    assert len(source.y_train) + len(pool) == len(data.y_train)
    kept_out = {im.tobytes() for im in data.x_train[pool]}
    assert not any(im.tobytes() in kept_out for im in source.x_train)
    assert source.x_test is data.x_test


def test_few_labels_draws_distinct_images_of_every_class():
    data = load()
    t = Digits(data.x_train[:300], data.y_train[:300], data.x_test, data.y_test)
    x, y = fine_tuning.few_labels(t, 3, np.random.default_rng(0))
    assert np.array_equal(np.bincount(y), [3] * 10)
    assert len(np.unique(x.reshape(len(x), -1), axis=0)) == 30


def test_frozen_layers_stay_fixed_and_the_trained_output_layer_moves():
    data = load()
    rng = np.random.default_rng(3)
    weights = tiny_cnn.init_weights(rng, filters=2, hidden=8)
    trained = fine_tuning.sgd(weights, data.x_train[:40], data.y_train[:40], 0.1, 5, rng, trainable=("W3", "b3"))
    assert all(np.array_equal(trained[k], weights[k]) for k in ("W1", "b1", "W2", "b2"))
    assert not np.array_equal(trained["W3"], weights["W3"])


def test_relative_change_is_the_ratio_of_frobenius_norms():
    before = np.arange(1.0, 10.0).reshape(3, 3)
    assert fine_tuning.relative_change(2 * before, before) == pytest.approx(1.0)
    assert fine_tuning.relative_change(before + 1, before) == pytest.approx(3 / np.sqrt(np.sum(before**2)))


def test_accuracy_matches_scikit_learn():
    from sklearn.metrics import accuracy_score

    weights = tiny_cnn.init_weights(np.random.default_rng(5), filters=2, hidden=8)
    data = load()
    expected = accuracy_score(data.y_test, tiny_cnn.predict(weights, data.x_test))
    assert fine_tuning.accuracy(weights, data.x_test, data.y_test) == expected


# --------------------------------------------------------------------------- the claim, over seeds 0-4
# Margins: measured over seeds 0-4 at the default settings, the medians were: pretrained as it is 0.70, scratch
# 0.76, frozen 0.81, small rate 0.86 (7 to 14 points ahead of scratch on every seed, 2.5 to 5.5 ahead of frozen),
# large rate 0.55 (12 to 73 points behind the small rate); clean digits 0.95 (small rate, 0 to 4 points below the
# pretrained network) vs 0.43 (large); W1 change 0.07 vs 4.0. On digits turned a quarter, small-rate
# fine-tuning was 16 to 29 points behind scratch.


@pytest.mark.slow
def test_small_rate_fine_tuning_beats_training_from_scratch_median_over_5_seeds(default_results):
    gains = accuracies(default_results, "fine-tune, small rate") - accuracies(default_results, "from scratch")
    assert np.all(gains > 0), gains
    assert np.median(gains) >= 0.05, gains


@pytest.mark.slow
def test_a_large_rate_loses_the_advantage_over_scratch_median_over_5_seeds(default_results):
    small = accuracies(default_results, "fine-tune, small rate")
    large = accuracies(default_results, "fine-tune, large rate")
    scratch = accuracies(default_results, "from scratch")
    assert np.all(small > large), (small, large)
    assert np.median(small - large) > 0.1, (small, large)
    assert np.median(large) < np.median(scratch), (large, scratch)


@pytest.mark.slow
def test_the_new_domain_needs_adapting_and_every_layer_should_adapt_median_over_5_seeds(default_results):
    small = accuracies(default_results, "fine-tune, small rate")
    as_it_is = np.array([r.pretrained_new_accuracy for r in default_results])
    frozen = accuracies(default_results, "frozen features")
    assert np.median(small - as_it_is) > 0.05, (small, as_it_is)
    assert np.median(small - frozen) > 0.015, (small, frozen)


@pytest.mark.slow
def test_small_rate_moves_the_first_layer_far_less_than_a_large_rate_median_over_5_seeds(default_results):
    small = np.array([r.variant("fine-tune, small rate").filter_change for r in default_results])
    large = np.array([r.variant("fine-tune, large rate").filter_change for r in default_results])
    assert np.all(small < large), (small, large)
    assert np.median(small / large) < 0.1, (small, large)


@pytest.mark.slow
def test_small_rate_keeps_the_old_task_and_a_large_rate_loses_much_of_it_median_over_5_seeds(default_results):
    small = np.array([r.variant("fine-tune, small rate").old_accuracy for r in default_results])
    large = np.array([r.variant("fine-tune, large rate").old_accuracy for r in default_results])
    pretrained = np.array([r.pretrained_accuracy for r in default_results])
    assert np.median(pretrained - small) < 0.05, (pretrained, small)
    assert np.median(small - large) > 0.3, (small, large)


@pytest.mark.slow
def test_lr_0_1_matches_lr_0_01_on_the_new_domain_but_forgets_more_of_the_old_median_over_5_seeds(default_results):
    # What the sweep shows: the rate must not be too large; below that, "small" buys the old task, not the new.
    def at(r: fine_tuning.FineTuningResult, lr: float) -> fine_tuning.Variant:
        return next(v for v in r.sweep if v.lr == lr)

    new_01 = np.array([at(r, 0.1).new_accuracy for r in default_results])
    new_001 = np.array([at(r, 0.01).new_accuracy for r in default_results])
    old_01 = np.array([at(r, 0.1).old_accuracy for r in default_results])
    old_001 = np.array([at(r, 0.01).old_accuracy for r in default_results])
    assert abs(np.median(new_01 - new_001)) < 0.03, (new_01, new_001)
    assert np.median(old_001 - old_01) > 0.02, (old_001, old_01)
    assert np.all(old_001 > old_01), (old_001, old_01)


@pytest.mark.slow
def test_on_digits_turned_a_quarter_fine_tuning_does_not_beat_scratch_median_over_5_seeds():
    # The demo's caveat: transfer pays only when the pretrained features fit the new domain.
    results = [fine_tuning.run(seed=seed, domain="rot90") for seed in SEEDS]
    gains = accuracies(results, "fine-tune, small rate") - accuracies(results, "from scratch")
    assert np.median(gains) < 0, gains


# --------------------------------------------------------------------------- run, report, command line


def test_run_is_deterministic_for_a_seed(fast_result):
    again = fine_tuning.run(seed=1, **FAST)
    assert [v.new_accuracy for v in again.variants + again.sweep] == [
        v.new_accuracy for v in fast_result.variants + fast_result.sweep
    ]
    assert all(np.array_equal(a.filters, b.filters) for a, b in zip(again.variants, fast_result.variants, strict=True))


def test_frozen_variant_keeps_the_pretrained_filters(fast_result):
    frozen = fast_result.variant("frozen features")
    assert frozen.filter_change == 0.0
    assert np.array_equal(frozen.filters, fast_result.pretrained_filters)


def test_the_sweep_covers_its_rates_and_contains_the_small_rate_run(fast_result):
    assert [v.lr for v in fast_result.sweep] == list(fine_tuning.SWEEP_RATES)
    small = fast_result.variant("fine-tune, small rate")
    at_small = next(v for v in fast_result.sweep if v.lr == small.lr)
    assert (at_small.new_accuracy, at_small.old_accuracy) == (small.new_accuracy, small.old_accuracy)


def test_report_lists_every_variant_and_the_headline_metrics(fast_result):
    rep = fine_tuning.report(fast_result)
    assert [row[0] for row in rep.tables[0].rows[1:]] == [v.name for v in fast_result.variants]
    assert rep.metrics["finetune_small_accuracy"] == fast_result.variant("fine-tune, small rate").new_accuracy
    assert rep.metrics["gain_over_scratch"] == pytest.approx(
        rep.metrics["finetune_small_accuracy"] - rep.metrics["scratch_accuracy"]
    )
    assert len([im for im in rep.images if im.group.startswith("pretrained")]) == FAST["filters"]
    assert rep.series["fine-tuned, new domain"].x == list(fine_tuning.SWEEP_RATES)


def test_script_prints_json_with_the_variants():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--domain", "blur", *args], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert result["demo"] == "fine_tuning"
    assert result["params"]["domain"] == "blur"
    for name in ("finetune_small_accuracy", "scratch_accuracy", "finetune_large_accuracy", "small_lr_old_accuracy"):
        assert 0.0 <= result["metrics"][name] <= 1.0
    assert len(result["tables"][0]["rows"]) == 5


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--labels-per-class", "0"], "labels_per_class"),
        (["--labels-per-class", "31"], "labels_per_class"),
        (["--domain", "sideways"], "domain"),
    ],
)
def test_script_refuses_a_bad_parameter_with_exit_code_2(args, name):
    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    assert out.returncode == 2
    assert name in out.stderr
