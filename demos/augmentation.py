"""Training on randomly rotated, scaled, sheared and shifted digits makes a CNN robust to rotated, shifted ones.

Data augmentation makes extra training images from the ones we have by
transformations that keep the label: a 3 turned by 10 degrees, drawn a bit
larger, slanted or moved by a pixel is still a 3. (Not every transformation
is safe: a mirrored digit is not a digit, and a 6 turned by 180 degrees is a 9.)

Every transformation here is an *affine warp*: a pixel at position p (x to
the right, y down, measured from the image centre) moves to ``A p + t``, with

    A = scale * R(angle) @ [[1, shear], [0, 1]]     R(a) = [[cos a, sin a], [-sin a, cos a]]

(R turns the picture anticlockwise as it is displayed, as ``np.rot90`` does).
To draw the warped image we go the other way, *inverse mapping*: for every
output pixel, ``A^-1 (p - t)`` says where in the original it comes from.
That point usually falls between pixels, so its value is interpolated
bilinearly from the four pixels around it; points outside the image are blank
(0). Inverse mapping leaves no holes, which pushing every input pixel forward
to a rounded position would.

The demo trains the tiny CNN of ``tiny_cnn.py`` twice from the same initial
weights: on the 1437 training digits as they are, and on those digits plus
``copies`` randomly warped copies of each, for the same number of SGD steps.
Both are tested on the clean test digits and on the same test digits rotated
by up to 15 degrees and shifted by up to a pixel. The digits of
``load_digits`` are centred and size-normalised, so a net that never saw a
moved digit has no reason to recognise one: this is where augmentation pays.

References: Simard, Steinkraus & Platt 2003, "Best practices for
convolutional neural networks applied to visual document analysis" (affine
and elastic distortions of MNIST digits); Krizhevsky, Sutskever & Hinton 2012
(AlexNet's crops and flips); CS231n notes "Neural Networks Part 2" (data
augmentation); image-warping lessons (inverse mapping, bilinear interpolation)
in any computer-vision text, e.g. Szeliski, *Computer Vision*, section 3.6.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import tiny_cnn
from digits import Digits, load
from harness import Image, Param, Plot, Progress, Report, Result, Series, Table, main, takes

PARAMS = [
    Param("epochs", 10, "passes of the plain net over the 1437 training digits", low=1, high=100),
    Param("copies", 4, "warped copies of each training digit added for the augmented net", low=1, high=20),
    Param("max_rotation", 15.0, "largest training rotation, degrees either way", low=0.0, high=45.0),
    Param("max_scale", 0.1, "largest training zoom in or out, as a fraction", low=0.0, high=0.5),
    Param("max_shear", 0.2, "largest training shear (horizontal shift per pixel of height)", low=0.0, high=1.0),
    Param("max_shift", 1.0, "largest training shift, pixels in x and in y", low=0.0, high=3.0),
    Param("test_rotation", 15.0, "test digits are rotated by up to this many degrees either way", low=0.0, high=45.0),
    Param("test_shift", 1, "test digits are shifted by up to this many whole pixels in x and in y", low=0, high=3),
]

# The tiny CNN's default network and training settings.
FILTERS, HIDDEN = 16, 64
SGD = tiny_cnn.default_sgd()
SWEEP_ANGLES = np.arange(-30.0, 31.0, 5.0)  # degrees, for the accuracy-against-rotation curve
SHOWN_DIGITS, SHOWN_COPIES = 4, 4


# --------------------------------------------------------------------------- affine warps


def affine_matrix(angle: np.ndarray, scale: np.ndarray, shear: np.ndarray) -> np.ndarray:
    """``A = scale R(angle) S(shear)`` for every image: (N, 2, 2), acting on (x, y) with y pointing down.

    Parameters
    ----------
    angle : (N,) anticlockwise rotation as displayed, radians
    scale : (N,) zoom factor (1 = unchanged)
    shear : (N,) horizontal shear: x moves by ``shear * y``
    """
    c, s = np.cos(angle), np.sin(angle)
    R = np.stack([np.stack([c, s], axis=-1), np.stack([-s, c], axis=-1)], axis=-2)  # (N, 2, 2)
    S = np.zeros_like(R)  # (N, 2, 2)
    S[:, 0, 0] = S[:, 1, 1] = 1.0
    S[:, 0, 1] = shear
    return scale[:, None, None] * (R @ S)  # (N, 2, 2)


def warp(images: np.ndarray, A: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Move each image's content by ``p -> A p + t`` (p from the image centre), by inverse mapping.

    Parameters
    ----------
    images : (N, H, W) grayscale images, 0 = blank
    A : (N, 2, 2) linear part, on (x, y) = (column, row) coordinates
    t : (N, 2) shift (x, y) in pixels

    Returns
    -------
    (N, H, W): output pixel p takes the bilinear interpolation of the input at
    ``A^-1 (p - t)``; where that falls outside the image, blank pixels are used.
    """
    N, H, W = images.shape
    centre = np.array([(W - 1) / 2, (H - 1) / 2])  # (x, y)
    rows, cols = np.mgrid[0:H, 0:W]
    p = np.stack([cols.ravel(), rows.ravel()]) - centre[:, None]  # (2, H W) output pixels, centred
    source = np.linalg.inv(A) @ (p[None] - t[:, :, None]) + centre[None, :, None]  # (N, 2, 2) @ (N, 2, H W)
    x = source[:, 0].reshape(N, H, W)  # (N, H, W) source column of every output pixel
    y = source[:, 1].reshape(N, H, W)  # (N, H, W) source row
    return bilinear(images, y, x)


def bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Images (N, H, W) sampled at fractional positions (row ``y``, column ``x``), each (N, H', W').

    Each value mixes the four pixels around the position, weighted by
    closeness; pixels outside the image count as 0.
    """
    N, H, W = images.shape
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))  # (N, H + 2, W + 2): a ring of blank pixels
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = y - y0, x - x0  # (N, H', W') distances from the top-left neighbour
    n = np.arange(N)[:, None, None]

    def pixel(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        # Any position beyond the image reads the blank ring (index -1 or H of the original).
        return padded[n, np.clip(r, -1, H).astype(int) + 1, np.clip(c, -1, W).astype(int) + 1]

    top = (1 - fx) * pixel(y0, x0) + fx * pixel(y0, x0 + 1)
    bottom = (1 - fx) * pixel(y0 + 1, x0) + fx * pixel(y0 + 1, x0 + 1)
    return (1 - fy) * top + fy * bottom


def random_warps(
    rng: np.random.Generator, x: np.ndarray, max_rotation: float, max_scale: float, max_shear: float, max_shift: float
) -> np.ndarray:
    """Each image (N, 1, H, W) rotated, scaled, sheared and shifted by its own uniform random amounts."""
    N = len(x)
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation, N))
    A = affine_matrix(angle, 1.0 + rng.uniform(-max_scale, max_scale, N), rng.uniform(-max_shear, max_shear, N))
    t = rng.uniform(-max_shift, max_shift, size=(N, 2))
    return warp(x[:, 0], A, t)[:, None]  # (N, 1, H, W)


def rotated_and_shifted(
    rng: np.random.Generator, x: np.ndarray, max_rotation: float, max_shift: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The test set's distortion: a uniform rotation up to ``max_rotation`` degrees and a whole-pixel shift.

    Returns the images (N, 1, H, W), the angles (N,) in degrees and the shifts (N, 2).
    """
    N = len(x)
    degrees = rng.uniform(-max_rotation, max_rotation, N)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2)).astype(float)
    A = affine_matrix(np.deg2rad(degrees), np.ones(N), np.zeros(N))
    return warp(x[:, 0], A, shifts)[:, None], degrees, shifts


def rotated(x: np.ndarray, degrees: float) -> np.ndarray:
    """Every image (N, 1, H, W) rotated by the same angle."""
    N = len(x)
    A = affine_matrix(np.full(N, np.deg2rad(degrees)), np.ones(N), np.zeros(N))
    return warp(x[:, 0], A, np.zeros((N, 2)))[:, None]


# --------------------------------------------------------------------------- the experiment


def accuracy(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(tiny_cnn.predict(weights, x) == y))


@dataclass
class Net:
    """One trained CNN and how it does."""

    clean_accuracy: float
    warped_accuracy: float
    """On the rotated and shifted test digits."""
    train_accuracy: float
    """On the 1437 original (unwarped) training digits."""
    steps: int
    training_images: int
    rotation_accuracy: list[float]
    """Test accuracy with every test digit rotated by each of ``SWEEP_ANGLES``."""
    warped_predictions: np.ndarray


@dataclass
class AugmentationResult(Result):
    plain: Net
    augmented: Net
    shown_originals: np.ndarray
    """(SHOWN_DIGITS, 8, 8) training digits whose augmented copies are shown."""
    shown_copies: np.ndarray
    """(SHOWN_DIGITS, SHOWN_COPIES, 8, 8)."""
    warped_test: np.ndarray
    """(N_test, 8, 8) the rotated and shifted test digits."""
    test_labels: np.ndarray
    test_degrees: np.ndarray
    test_shifts: np.ndarray


def evaluate(weights: dict[str, np.ndarray], data: Digits, warped_test: np.ndarray, steps: int, images: int) -> Net:
    return Net(
        clean_accuracy=accuracy(weights, data.x_test, data.y_test),
        warped_accuracy=accuracy(weights, warped_test, data.y_test),
        train_accuracy=accuracy(weights, data.x_train, data.y_train),
        steps=steps,
        training_images=images,
        rotation_accuracy=[accuracy(weights, rotated(data.x_test, a), data.y_test) for a in SWEEP_ANGLES],
        warped_predictions=tiny_cnn.predict(weights, warped_test),
    )


def steps_for(images: int, epochs: int) -> int:
    return epochs * -(-images // SGD["batch_size"])


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> AugmentationResult:
    rng = np.random.default_rng(seed)
    data = load(dtype=tiny_cnn.DTYPE)
    n = len(data.y_train)
    warp_ranges = {k: p[k] for k in ("max_rotation", "max_scale", "max_shear", "max_shift")}

    x_more = np.concatenate(
        [data.x_train] + [random_warps(rng, data.x_train, **warp_ranges) for _ in range(p["copies"])],
        dtype=data.x_train.dtype,  # the warps compute in float64; the net trains in the data's dtype
    )
    y_more = np.tile(data.y_train, p["copies"] + 1)  # a warped copy keeps its digit's label
    augmented_data = Digits(x_more, y_more, data.x_test, data.y_test)
    # Same compute for both nets: the larger set gets proportionally fewer passes.
    augmented_epochs = max(1, round(p["epochs"] / (p["copies"] + 1)))
    warped_test, degrees, shifts = rotated_and_shifted(rng, data.x_test, p["test_rotation"], p["test_shift"])
    warped_test = warped_test.astype(data.x_test.dtype, copy=False)

    initial = tiny_cnn.init_weights(rng, FILTERS, HIDDEN, tiny_cnn.DTYPE)  # both nets start from these weights
    total = p["epochs"] + augmented_epochs

    def report_progress(offset: int, label: str) -> Progress | None:
        if progress is None:
            return None
        return lambda step, _, **info: progress(
            offset + step, total, **{**info, "message": f"{label}: {info['message']}"}
        )

    plain_weights, _ = tiny_cnn.train(initial, data, rng, p["epochs"], progress=report_progress(0, "plain"), **SGD)
    augmented_weights, _ = tiny_cnn.train(
        initial, augmented_data, rng, augmented_epochs, progress=report_progress(p["epochs"], "augmented"), **SGD
    )

    shown = np.concatenate([np.flatnonzero(data.y_train == d)[:1] for d in (2, 4, 5, 7)])[:SHOWN_DIGITS]
    copies = np.stack([x_more[(c + 1) * n + shown, 0] for c in range(min(SHOWN_COPIES, p["copies"]))], axis=1)
    return AugmentationResult(
        plain=evaluate(plain_weights, data, warped_test, steps_for(n, p["epochs"]), n),
        augmented=evaluate(augmented_weights, data, warped_test, steps_for(len(y_more), augmented_epochs), len(y_more)),
        shown_originals=data.x_train[shown, 0],
        shown_copies=copies,
        warped_test=warped_test[:, 0],
        test_labels=data.y_test,
        test_degrees=degrees,
        test_shifts=shifts,
    )


def report(result: AugmentationResult) -> Report:
    p, plain, aug = result.params, result.plain, result.augmented
    moves = [f"rotated by up to {p['test_rotation']:g} degrees"] if p["test_rotation"] else []
    moves += [f"shifted by up to {p['test_shift']} px"] if p["test_shift"] else []
    distortion = " and ".join(moves) or "left as they are (no test distortion asked)"
    steps = (
        f"the same {plain.steps} SGD steps" if plain.steps == aug.steps else f"{aug.steps} and {plain.steps} SGD steps"
    )
    headline = (
        f"On test digits {distortion}, the CNN trained with augmentation reads {aug.warped_accuracy:.1%}, the one "
        f"trained on the plain digits {plain.warped_accuracy:.1%}; on the clean test digits they score "
        f"{aug.clean_accuracy:.1%} and {plain.clean_accuracy:.1%}, after {steps}."
    )
    table = Table(
        "test accuracy",
        ["net", "training images", "SGD steps", "clean test", "rotated + shifted test", "train (original digits)"],
        [
            [
                "plain",
                plain.training_images,
                plain.steps,
                plain.clean_accuracy,
                plain.warped_accuracy,
                plain.train_accuracy,
            ],
            [
                f"augmented (+{p['copies']} warped copies)",
                aug.training_images,
                aug.steps,
                aug.clean_accuracy,
                aug.warped_accuracy,
                aug.train_accuracy,
            ],
        ],
        percent=["clean test", "rotated + shifted test", "train (original digits)"],
    )
    images = []
    for i, original in enumerate(result.shown_originals):
        group = f"training digit {i + 1} and its random warps (the augmented net trains on all of them)"
        images.append(Image("original", original.tolist(), group=group, vmin=0.0, vmax=1.0))
        images += [
            Image(f"copy {c + 1}", copy.tolist(), group=group, vmin=0.0, vmax=1.0)
            for c, copy in enumerate(result.shown_copies[i])
        ]
    group = "rotated and shifted test digits: true digit, read by the plain / augmented net"
    for k in range(6):
        title = f"{result.test_labels[k]}: {plain.warped_predictions[k]}/{aug.warped_predictions[k]}"
        images.append(Image(title, result.warped_test[k].tolist(), group=group, vmin=0.0, vmax=1.0))
    angles = SWEEP_ANGLES.tolist()
    clean_change = aug.clean_accuracy - plain.clean_accuracy
    plain_gap = plain.train_accuracy - plain.clean_accuracy
    aug_gap = aug.train_accuracy - aug.clean_accuracy
    return Report(
        headline=headline,
        metrics={
            "warped_accuracy_augmented": aug.warped_accuracy,
            "warped_accuracy_plain": plain.warped_accuracy,
            "robustness_gain": aug.warped_accuracy - plain.warped_accuracy,
            "clean_accuracy_augmented": aug.clean_accuracy,
            "clean_accuracy_plain": plain.clean_accuracy,
            "train_accuracy_augmented": aug.train_accuracy,
            "train_accuracy_plain": plain.train_accuracy,
            "overfitting_gap_augmented": aug_gap,
            "overfitting_gap_plain": plain_gap,
            "steps_augmented": aug.steps,
            "steps_plain": plain.steps,
        },
        series={
            "plain": Series(angles, plain.rotation_accuracy),
            "augmented": Series(angles, aug.rotation_accuracy),
        },
        plots=[
            Plot("test accuracy, every test digit rotated by one angle", ["plain", "augmented"], "degrees", "accuracy")
        ],
        tables=[table],
        images=images,
        notes=[
            f"Training warps: rotation up to {p['max_rotation']:g} degrees, zoom up to {p['max_scale']:.0%}, shear "
            f"up to {p['max_shear']:g}, shift up to {p['max_shift']:g} px, each drawn uniformly per copy.",
            "The test digits were warped with random angles and shifts the augmented net never saw as such; "
            "only the ranges overlap.",
            f"On the clean test digits augmentation changed accuracy by {clean_change:+.1%} points. The gap "
            f"between training and test accuracy, a symptom of overfitting, went from {plain_gap:.1%} (plain) to "
            f"{aug_gap:.1%} (augmented): more varied data, less memorising.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
