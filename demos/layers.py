"""Neural-network layers in NumPy, each a forward/backward pair in the CS231n style.

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward`` takes
the upstream gradient ``dout`` and that cache and returns the gradients of its
inputs. Chaining them backwards through a network is backpropagation.

The layers follow CS231n's assignments (affine, ReLU, sigmoid, conv, max-pool,
dropout, batch norm, vanilla RNN, LSTM, softmax cross-entropy) with two PyTorch conventions:
dropout's ``p`` is the probability of *dropping* a unit, and batch norm's
``momentum`` (0.1) weights the new batch statistic and keeps the *unbiased*
batch variance in its running average, as ``torch.nn.BatchNorm1d`` does.

The gradient-check helpers at the end (``rel_error``,
``eval_numerical_gradient``, ``eval_numerical_gradient_array``) are CS231n's:
compare an analytic gradient with a centred finite difference and expect a
relative error below about 1e-7 for smooth layers (1e-5 near ReLU or max-pool
kinks).

References: CS231n assignments 1-3 (``layers.py``, ``fast_layers.py``,
``rnn_layers.py``) and notes "Neural Networks Part 3" (gradient checks);
Ioffe & Szegedy 2015 (batch norm); Srivastava et al. 2014 (dropout).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- affine, ReLU, sigmoid


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``out = x @ w + b`` with each example of ``x`` flattened to a row.

    Parameters
    ----------
    x : (N, d_1, ..., d_k) input; D = d_1 * ... * d_k
    w : (D, M) weights
    b : (M,) bias
    """
    x_rows = x.reshape(x.shape[0], -1)  # (N, D); a copy if x is a transposed view, made once for both passes
    out = x_rows @ w + b  # (N, D) @ (D, M) -> (N, M)
    return out, (x_rows, x.shape, w)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``dx`` (shaped like x), ``dw`` (D, M) and ``db`` (M,) from ``dout`` (N, M)."""
    x_rows, x_shape, w = cache
    dx = (dout @ w.T).reshape(x_shape)  # (N, M) @ (M, D) -> (N, D) -> x.shape
    dw = x_rows.T @ dout  # (D, N) @ (N, M) -> (D, M)
    db = dout.sum(axis=0)  # (M,)
    return dx, dw, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``max(0, x)`` elementwise.

    Against an array of zeros rather than the scalar 0: NumPy 2.4 takes its vectorised loop only when
    neither operand is broadcast, twice as fast here (6 against 13 us for the tiny CNN's (32, 16, 8, 8)).
    """
    out = np.maximum(x, np.zeros_like(x))  # zeros in x's memory layout
    return out, out


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The gradient flows where the output was positive (the kink at 0 gets none)."""
    return dout * (cache > 0)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``1 / (1 + exp(-x))`` elementwise."""
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709 still gives the right limit, 0
        out = 1.0 / (1.0 + np.exp(-x))
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """``sigma'(x) = sigma(x) (1 - sigma(x))``: at most 1/4, so gradients shrink through every sigmoid."""
    return dout * cache * (1.0 - cache)


# --------------------------------------------------------------------------- convolution


def conv_output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """``1 + (size + 2 pad - kernel) // stride``, refusing sizes the kernel cannot tile."""
    span = size + 2 * pad - kernel
    if span < 0:
        raise ValueError(f"kernel {kernel} larger than padded input {size + 2 * pad}")
    return 1 + span // stride


def conv_forward_naive(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, int]
) -> tuple[np.ndarray, tuple]:
    """Convolution (cross-correlation, as in every DL library) with explicit loops, for teaching.

    Parameters
    ----------
    x : (N, C, H, W) input
    w : (F, C, HH, WW) filters
    b : (F,) biases
    conv_param : ``{'stride': int, 'pad': int}`` (zero padding on every side)

    Returns
    -------
    out : (N, F, H', W') with ``H' = 1 + (H + 2 pad - HH) // stride``
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = conv_output_size(H, HH, stride, pad), conv_output_size(W, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2 pad, W + 2 pad)
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def window_at(i: int, j: int, stride: int, H_out: int, W_out: int) -> tuple[slice, ...]:
    """Index of the entry at offset ``(i, j)`` in every window of a (.., .., H, W) array: a strided view.

    Looping over the few offsets of a window (9 for a 3x3 kernel) instead of
    over the many output pixels is what makes convolution and pooling fast.
    """
    rows = slice(i, i + stride * (H_out - 1) + 1, stride)
    cols = slice(j, j + stride * (W_out - 1) + 1, stride)
    return (slice(None), slice(None), rows, cols)


def im2col(x_pad: np.ndarray, HH: int, WW: int, stride: int, H_out: int, W_out: int) -> np.ndarray:
    """Every receptive field of ``x_pad`` (C, N, Hp, Wp) as a column: (C HH WW, N H' W').

    Column ``(n, i, j)`` holds the C x HH x WW input patch under output pixel
    (i, j) of image n, so one matrix product with the (F, C HH WW) filters
    computes every output pixel at once.
    """
    C, N = x_pad.shape[:2]
    cols = np.empty((C, HH, WW, N, H_out, W_out), dtype=x_pad.dtype)
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[window_at(i, j, stride, H_out, W_out)]  # (C, N, H', W')
    return cols.reshape(C * HH * WW, N * H_out * W_out)


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, int]) -> tuple[np.ndarray, tuple]:
    """Vectorised convolution: im2col, then one matrix product. Same API as :func:`conv_forward_naive`.

    Channels go first in the working layout (C, N, H, W), so that the product
    ``filters @ columns`` comes out as (F, N, H', W'); the result is returned
    as a transposed (N, F, H', W') view of it, with no copy.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = conv_output_size(H, HH, stride, pad), conv_output_size(W, WW, stride, pad)
    x_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=x.dtype)  # (C, N, Hp, Wp); float32 stays float32
    x_pad[:, :, pad : pad + H, pad : pad + W] = x.transpose(1, 0, 2, 3)
    cols = im2col(x_pad, HH, WW, stride, H_out, W_out)  # (C HH WW, N H' W')
    out = w.reshape(F, C * HH * WW) @ cols  # (F, C HH WW) @ (C HH WW, N H' W') -> (F, N H' W')
    out += b[:, None]
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)  # (N, F, H', W')
    return out, (x.shape, cols, w, conv_param)


def conv_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``dx`` (N, C, H, W), ``dw`` (F, C, HH, WW), ``db`` (F,) of :func:`conv_forward`.

    ``dw`` and the gradient of every receptive field are matrix products; col2im
    then adds each field's gradient back onto the input, one kernel offset
    ``(i, j)`` at a time (HH * WW strided slice additions, no loop over pixels).
    """
    x_shape, _, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dout_mat, dw, db = _conv_param_grads(dout, cache)
    dcols = w.reshape(F, C * HH * WW).T @ dout_mat  # (C HH WW, F) @ (F, N H' W') -> (C HH WW, N H' W')
    dcols = dcols.reshape(C, HH, WW, N, H_out, W_out)
    dx_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)  # (C, N, Hp, Wp)
    for i in range(HH):
        for j in range(WW):
            dx_pad[window_at(i, j, stride, H_out, W_out)] += dcols[:, i, j]  # (C, N, H', W')
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].transpose(1, 0, 2, 3)  # (N, C, H, W)
    return dx, dw, db


def conv_backward_params(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``dw`` and ``db`` of :func:`conv_backward` without ``dx``: for a first layer, whose input (the images)
    is not learned. PyTorch skips that gradient too when the input does not require it; in the tiny CNN's step
    (batch 32) this takes 16-28 us where the whole backward pass takes 74-108."""
    _, dw, db = _conv_param_grads(dout, cache)
    return dw, db


def _conv_param_grads(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dout`` as a matrix (F, N H' W'), ``dw`` (F, C, HH, WW) and ``db`` (F,)."""
    _, cols, w, _ = cache
    F = w.shape[0]
    N, _, H_out, W_out = dout.shape
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, N * H_out * W_out)  # (F, N H' W')
    db = dout_mat.sum(axis=1)  # (F,)
    dw = (dout_mat @ cols.T).reshape(w.shape)  # (F, N H' W') @ (N H' W', C HH WW) -> (F, C, HH, WW)
    return dout_mat, dw, db


# --------------------------------------------------------------------------- max-pooling


def max_pool_forward(x: np.ndarray, pool_param: dict[str, int]) -> tuple[np.ndarray, tuple]:
    """Max over each ``pool_height x pool_width`` window, windows ``stride`` apart.

    Parameters
    ----------
    x : (N, C, H, W) input
    pool_param : ``{'pool_height', 'pool_width', 'stride'}``

    Returns
    -------
    out : (N, C, H', W') with ``H' = 1 + (H - pool_height) // stride``

    When the windows do not overlap (``stride`` equal to the window, the usual
    2x2 pool), the input is first rearranged so that each window offset is one
    contiguous block (:func:`offsets_first`); the maximum and its position are
    then a few elementwise operations on long contiguous arrays, and the
    backward pass is one comparison and the inverse rearrangement. Overlapping
    windows take the maximum over strided views of each offset instead.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H, W = x.shape
    H_out, W_out = conv_output_size(H, ph, stride, 0), conv_output_size(W, pw, stride, 0)
    if ph == pw == stride:
        return _tiled_max_pool_forward(x, ph, pw, H_out, W_out, pool_param)
    views = [x[window_at(i, j, stride, H_out, W_out)] for i in range(ph) for j in range(pw)]  # each (N, C, H', W')
    # The first maximum makes the output (no copy of the first view, no maximum of it with itself)
    out = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()  # (N, C, H', W')
    for view in views[2:]:
        np.maximum(out, view, out=out)
    return out, (x, out, pool_param)


def max_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each window's gradient to its maximum; on a tie, to the first one (as PyTorch does).

    Entries in no window (the last rows or columns when the sizes do not
    divide) get 0; where windows overlap, an entry's gradients add up.
    """
    if isinstance(cache[0], str):  # ("tiled", ...) from the non-overlapping path
        return _tiled_max_pool_backward(dout, cache)
    x, out, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = out.shape
    dx = np.zeros_like(x, dtype=dout.dtype)  # x's memory layout
    is_max = np.empty(out.shape, dtype=bool)
    unclaimed = None  # windows whose maximum is not found yet (after the first offset: every window can be claimed)
    for i in range(ph):
        for j in range(pw):
            window = window_at(i, j, stride, H_out, W_out)
            np.equal(x[window], out, out=is_max)
            if unclaimed is None:
                unclaimed = ~is_max
            else:
                is_max &= unclaimed
                unclaimed ^= is_max
            dx[window] += is_max * dout
    return dx


def planes_first(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``x`` (N, C, H, W) as a C-contiguous array of its images' planes: (N, C, H, W), or (C, N, H, W) and True
    when that is how ``x`` is laid out (a conv layer's output is). Either layout is used as it is; any other
    (a crop, a strided view) is copied once."""
    swapped = x.transpose(1, 0, 2, 3)
    if not x.flags.c_contiguous and swapped.flags.c_contiguous:
        return swapped, True
    return np.ascontiguousarray(x), False


def offsets_first(planes: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """Non-overlapping ``ph x pw`` windows of contiguous planes (A, B, ph H', pw W') as (ph pw, A B H' W'):
    row ``k = i pw + j`` holds every window's entry at offset (i, j), windows in row-major order.

    Two passes of long strided copies: the columns' offsets ``j`` apart (element by element), then the
    rows' offsets ``i`` (a row of W' entries moved as one item). Copying through a transposed view
    instead (``reshape(..., ph, W', pw).transpose(...)``) takes twice as long: its innermost loop is W' long.
    """
    A, B, H, W = planes.shape
    H_out, W_out = H // ph, W // pw
    flat = planes.reshape(-1, pw)  # (A B H W', pw): consecutive entries in a row
    by_col = np.empty((pw, flat.shape[0]), dtype=planes.dtype)  # (pw, A B H W')
    for j in range(pw):
        by_col[j] = flat[:, j]
    row = np.dtype((np.void, W_out * planes.itemsize))  # W' entries as one item
    rows = by_col.reshape(pw, A * B * H_out, ph, W_out).view(row)[..., 0]  # (pw, A B H', ph)
    out = np.empty((ph, pw, A * B * H_out), dtype=row)
    for i in range(ph):
        out[i] = rows[:, :, i]
    return out.view(planes.dtype).reshape(ph * pw, A * B * H_out * W_out)


def windows_back(blocks: np.ndarray, shape: tuple[int, int, int, int], ph: int, pw: int) -> np.ndarray:
    """Inverse of :func:`offsets_first`: (ph pw, A B H' W') -> contiguous (A, B, ph H', pw W')."""
    A, B, H, W = shape
    H_out, W_out = H // ph, W // pw
    row = np.dtype((np.void, W_out * blocks.itemsize))
    rows = blocks.reshape(ph, pw, A * B * H_out, W_out).view(row)[..., 0]  # (ph, pw, A B H')
    by_col = np.empty((pw, A * B * H_out, ph, W_out), dtype=blocks.dtype)
    by_col_rows = by_col.view(row)[..., 0]  # (pw, A B H', ph)
    for i in range(ph):
        by_col_rows[:, :, i] = rows[i]
    out = np.empty(shape, dtype=blocks.dtype)
    flat = out.reshape(-1, pw)
    for j in range(pw):
        flat[:, j] = by_col[j].reshape(-1)
    return out


def _tiled_max_pool_forward(
    x: np.ndarray, ph: int, pw: int, H_out: int, W_out: int, pool_param: dict[str, int]
) -> tuple[np.ndarray, tuple]:
    cropped = x[:, :, : H_out * ph, : W_out * pw]  # entries in no window are dropped
    planes, swapped = planes_first(cropped)
    blocks = offsets_first(planes, ph, pw)  # (ph pw, A B H' W')
    index = np.min_scalar_type(ph * pw - 1)  # uint8 for any window up to 16x16
    out = blocks[0].copy()  # (A B H' W',)
    first = np.zeros(out.shape, dtype=index)  # offset of each window's first maximum
    for k in range(1, ph * pw):
        later = np.greater(blocks[k], out).view(np.uint8)  # strictly greater: a tie keeps the earlier offset
        np.maximum(first, later * index.type(k), out=first)  # k is above every earlier offset
        np.maximum(out, blocks[k], out=out)  # NaN propagates, as in the overlapping path
    out = out.reshape(*planes.shape[:2], H_out, W_out)
    out = out.transpose(1, 0, 2, 3) if swapped else out  # (N, C, H', W') in x's layout
    return out, ("tiled", x.shape, planes.shape, swapped, first, pool_param)


def _tiled_max_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    _, x_shape, planes_shape, swapped, first, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    d = (dout.transpose(1, 0, 2, 3) if swapped else dout).reshape(-1)  # (A B H' W',) in the blocks' order
    at_max = first == np.arange(ph * pw, dtype=first.dtype)[:, None]  # (ph pw, A B H' W')
    routed = at_max * d  # the gradient at each window's first maximum, 0 elsewhere
    dplanes = windows_back(routed, planes_shape, ph, pw)  # (A, B, ph H', pw W')
    dcropped = dplanes.transpose(1, 0, 2, 3) if swapped else dplanes
    if dcropped.shape == x_shape:
        return dcropped
    dx = np.zeros(x_shape, dtype=dout.dtype)
    dx[:, :, : dcropped.shape[2], : dcropped.shape[3]] = dcropped
    return dx


# --------------------------------------------------------------------------- dropout


def dropout_forward(x: np.ndarray, dropout_param: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale survivors by 1/(1-p).

    Parameters
    ----------
    x : input of any shape
    dropout_param : ``{'p': drop probability in [0, 1), 'mode': 'train' | 'test'}`` and
        optionally ``'seed'`` (the mask comes from ``np.random.default_rng(seed)``) or
        ``'rng'`` (a ``np.random.Generator`` to draw from).

    The scaling keeps every unit's expectation unchanged, so test mode is the identity.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout p must be in [0, 1), got {p}")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout mode must be 'train' or 'test', got {mode!r}")
    if mode == "test" or p == 0.0:
        return x, None
    if "seed" in dropout_param:
        rng = np.random.default_rng(dropout_param["seed"])
    else:
        rng = dropout_param.get("rng") or np.random.default_rng()
    keep = rng.random(x.shape) >= p  # drawn in float64 whatever x is, so a seed gives the same mask in float32
    dtype = np.result_type(x, np.float32)
    mask = keep * dtype.type(1.0 / (1.0 - p))  # 0 or 1/(1-p), shaped like x (np.where would branch: 9x slower)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, cache: np.ndarray | None) -> np.ndarray:
    """The gradient flows through the kept units, scaled like them (``cache`` is the mask, None in test mode)."""
    return dout if cache is None else dout * cache


# --------------------------------------------------------------------------- batch normalization


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, tuple | None]:
    """Batch normalization with PyTorch's ``BatchNorm1d`` semantics.

    Parameters
    ----------
    x : (N, D) input
    gamma, beta : (D,) scale and shift
    bn_param : ``'mode'`` ('train' | 'test'), ``'eps'`` (1e-5), ``'momentum'`` (0.1),
        ``'running_mean'`` (starts at 0), ``'running_var'`` (starts at 1). The running
        statistics are updated in place in ``bn_param`` in train mode.

    Train mode normalises with the batch mean and *biased* batch variance and
    updates ``running = (1 - momentum) running + momentum batch_stat``, the
    variance entering with the *unbiased* estimate. Test mode normalises with
    the running statistics (the cache is then None: no backward in test mode).
    """
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.ones(D, dtype=x.dtype))
    if mode not in ("train", "test"):
        raise ValueError(f"batchnorm mode must be 'train' or 'test', got {mode!r}")
    if mode == "test":
        out = (x - running_mean) / np.sqrt(running_var + eps) * gamma + beta  # (N, D)
        return out, None
    if N < 2:
        raise ValueError("batch norm needs at least 2 examples per batch in train mode")
    mu = x.sum(axis=0) / N  # (D,)
    x_centred = x - mu  # (N, D)
    var = np.einsum("nd,nd->d", x_centred, x_centred) / N  # (D,) biased: divides by N
    inv_std = 1.0 / np.sqrt(var + eps)  # (D,)
    x_hat = x_centred * inv_std  # (N, D)
    out = gamma * x_hat + beta  # (N, D)
    bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * mu
    bn_param["running_var"] = (1 - momentum) * running_var + momentum * var * N / (N - 1)
    return out, (x_hat, gamma, inv_std)


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``dx`` (N, D), ``dgamma``, ``dbeta`` (D,) in the compact form.

    ``dx = (N dx_hat - sum(dx_hat) - x_hat sum(dx_hat x_hat)) / (N sqrt(var + eps))``
    with ``dx_hat = dout * gamma``; since ``sum(dx_hat) = gamma dbeta`` and
    ``sum(dx_hat x_hat) = gamma dgamma``, that is
    ``dx = gamma / (N sqrt(var + eps)) (N dout - dbeta - x_hat dgamma)``.
    """
    x_hat, gamma, inv_std = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)  # (D,) sum over the batch of dout * x_hat
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)  # (N, D)
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- loss


def row_max(z: np.ndarray) -> np.ndarray:
    """Each row's maximum (N, 1) of ``z`` (N, K): ``z.max(axis=1, keepdims=True)``, exactly, faster.

    NumPy reduces a short last axis row by row, at about 10 us per 100 rows: 130 us for the digits' (1437, 10)
    scores, where copying them to (K, N) and taking the maximum down the columns, K elementwise passes over
    N contiguous values, takes 9 us (timeit, float32, NumPy 2.4). Softmax calls it at every training step.
    """
    return np.ascontiguousarray(z.T).max(axis=0)[:, None]  # (K, N) -> (N,) -> (N, 1)


def row_sum(z: np.ndarray) -> np.ndarray:
    """Each row's sum (N, 1) of ``z`` (N, K): ``z.sum(axis=1, keepdims=True)`` bit for bit, faster.

    For a C-ordered ``z`` with 8 <= K <= 128, NumPy adds each row pairwise: eight running sums over blocks of
    eight, combined as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)), then the last K % 8 values one by one. The same
    additions on the (K, N) copy run as a few elementwise passes: 14-41 us instead of 72-110 for (1437, 10)
    in float32 (timeit). Any other shape or layout takes NumPy's own sum. ``tests/test_layers.py`` checks
    the equality over K = 1..139 in float32 and float64, so a NumPy that changes its order is caught.
    """
    K = z.shape[1]
    if not (8 <= K <= 128 and z.flags.c_contiguous):
        return z.sum(axis=1, keepdims=True)
    t = np.ascontiguousarray(z.T)  # (K, N)
    s8 = t[:8].copy()  # (8, N) the eight running sums
    for i in range(8, K - K % 8, 8):
        s8 += t[i : i + 8]
    s = ((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]))  # (N,)
    for i in range(K - K % 8, K):
        s += t[i]
    return s[:, None]


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy (natural log) of softmax(scores) against integer labels, and its gradient.

    Parameters
    ----------
    scores : (N, K) unnormalised class scores
    y : (N,) labels in 0..K-1

    Subtracting each row's maximum first keeps ``exp`` from overflowing.
    """
    N = scores.shape[0]
    shifted = scores - row_max(scores)  # (N, K)
    log_probs = shifted - np.log(row_sum(np.exp(shifted)))  # (N, K)
    loss = -log_probs[np.arange(N), y].mean()
    dscores = np.exp(log_probs)  # (N, K) softmax probabilities
    dscores[np.arange(N), y] -= 1.0
    return float(loss), dscores / N


# --------------------------------------------------------------------------- vanilla RNN


def rnn_step_forward(
    x: np.ndarray, prev_h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """One tanh RNN step: ``next_h = tanh(prev_h @ Wh + x @ Wx + b)``.

    Parameters
    ----------
    x : (N, D) inputs at this time step
    prev_h : (N, H) previous hidden state
    Wx : (D, H) input-to-hidden weights
    Wh : (H, H) hidden-to-hidden weights
    b : (H,) bias
    """
    next_h = np.tanh(prev_h @ Wh + x @ Wx + b)  # (N, H) @ (H, H) + (N, D) @ (D, H) -> (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Gradients ``dx`` (N, D), ``dprev_h`` (N, H), ``dWx`` (D, H), ``dWh`` (H, H), ``db`` (H,)."""
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h**2)  # (N, H) through tanh
    dx = da @ Wx.T  # (N, H) @ (H, D) -> (N, D)
    dprev_h = da @ Wh.T  # (N, H) @ (H, H) -> (N, H)
    dWx = x.T @ da  # (D, N) @ (N, H) -> (D, H)
    dWh = prev_h.T @ da  # (H, N) @ (N, H) -> (H, H)
    db = da.sum(axis=0)  # (H,)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(
    x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """Run the RNN over a whole sequence.

    Parameters
    ----------
    x : (N, T, D) input sequences
    h0 : (N, H) initial hidden state
    Wx, Wh, b : as in :func:`rnn_step_forward`

    Returns
    -------
    h : (N, T, H) hidden state at every step

    The input term ``x_t @ Wx + b`` does not depend on the recurrence, so it is
    computed for all steps in one matrix product (as PyTorch does); only
    ``h_{t-1} @ Wh`` has to wait for the previous step.
    """
    N, T, D = x.shape
    H = h0.shape[1]
    xWx = (x.reshape(N * T, D) @ Wx + b).reshape(N, T, H)  # (N T, D) @ (D, H) -> (N, T, H)
    h = np.empty((N, T, H), dtype=xWx.dtype)
    h_t = h0
    for t in range(T):
        h_t = np.tanh(h_t @ Wh + xWx[:, t])  # (N, H) @ (H, H) -> (N, H)
        h[:, t] = h_t
    return h, (x, h0, Wx, Wh, h)


def rnn_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dh : (N, T, H) upstream gradient of every hidden state

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)

    Only the gradient flowing back along the chain ``h_t -> h_{t-1}`` needs a
    loop; the weight gradients are then one matrix product over all steps.
    """
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    da = np.empty((N, T, H), dtype=np.result_type(dh, h))  # gradient of each step's pre-activation
    dh_next = np.zeros((N, H), dtype=da.dtype)
    for t in reversed(range(T)):
        da_t = (dh[:, t] + dh_next) * (1.0 - h[:, t] ** 2)  # (N, H) through tanh
        da[:, t] = da_t
        dh_next = da_t @ Wh.T  # (N, H) @ (H, H) -> (N, H)
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H) state entering each step
    da_rows = da.reshape(N * T, H)  # (N T, H)
    dx = (da_rows @ Wx.T).reshape(N, T, D)  # (N T, H) @ (H, D) -> (N, T, D)
    dWx = x.reshape(N * T, D).T @ da_rows  # (D, N T) @ (N T, H) -> (D, H)
    dWh = h_prev.reshape(N * T, H).T @ da_rows  # (H, N T) @ (N T, H) -> (H, H)
    db = da_rows.sum(axis=0)  # (H,)
    return dx, dh_next, dWx, dWh, db


# --------------------------------------------------------------------------- LSTM


def lstm_step_forward(
    x: np.ndarray, prev_h: np.ndarray, prev_c: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step (CS231n's gate order i, f, o, g): ``next_c = f * prev_c + i * g``, ``next_h = o * tanh(next_c)``.

    Parameters
    ----------
    x : (N, D) inputs at this time step
    prev_h, prev_c : (N, H) previous hidden and cell state
    Wx : (D, 4H) input-to-gates weights
    Wh : (H, 4H) hidden-to-gates weights
    b : (4H,) bias

    The cell state is updated by addition, gated by ``f``: the gradient reaching
    ``prev_c`` is ``dnext_c * f``, with no squashing nonlinearity and no weight
    matrix in the way, which is how an LSTM carries information over long gaps.
    """
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, D) @ (D, 4H) + (N, H) @ (H, 4H) -> (N, 4H)
    i, f, o = (sigmoid_forward(a[:, k * H : (k + 1) * H])[0] for k in range(3))  # (N, H) each
    g = np.tanh(a[:, 3 * H :])  # (N, H)
    next_c = f * prev_c + i * g  # (N, H)
    tanh_c = np.tanh(next_c)  # (N, H)
    next_h = o * tanh_c  # (N, H)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dnext_h: np.ndarray, dnext_c: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Gradients ``dx`` (N, D), ``dprev_h``, ``dprev_c`` (N, H), ``dWx`` (D, 4H), ``dWh`` (H, 4H), ``db`` (4H,)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)  # (N, H) both paths into next_c
    di, df, do, dg = dc * g, dc * prev_c, dnext_h * tanh_c, dc * i  # (N, H) each
    da = np.concatenate(  # (N, 4H) through the sigmoids and the tanh
        [di * i * (1.0 - i), df * f * (1.0 - f), do * o * (1.0 - o), dg * (1.0 - g**2)], axis=1
    )
    dx = da @ Wx.T  # (N, 4H) @ (4H, D) -> (N, D)
    dprev_h = da @ Wh.T  # (N, 4H) @ (4H, H) -> (N, H)
    dprev_c = dc * f  # (N, H)
    dWx = x.T @ da  # (D, N) @ (N, 4H) -> (D, 4H)
    dWh = prev_h.T @ da  # (H, N) @ (N, 4H) -> (H, 4H)
    db = da.sum(axis=0)  # (4H,)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(
    x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, list]:
    """Run the LSTM over a whole sequence from ``h0`` and a zero cell state: h (N, T, H) and the step caches.

    Parameters
    ----------
    x : (N, T, D) input sequences
    h0 : (N, H) initial hidden state
    """
    N, T, _ = x.shape
    h_t, c_t = h0, np.zeros_like(h0)
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, Wx))
    caches = []
    for t in range(T):
        h_t, c_t, cache = lstm_step_forward(x[:, t], h_t, c_t, Wx, Wh, b)
        h[:, t] = h_t
        caches.append(cache)
    return h, caches


def lstm_backward(dh: np.ndarray, caches: list) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`lstm_forward`: dx (N, T, D), dh0 (N, H), dWx, dWh, db.

    Parameters
    ----------
    dh : (N, T, H) upstream gradient of every hidden state
    """
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dh_next, dc_next = np.zeros((N, H), dtype=dh.dtype), np.zeros((N, H), dtype=dh.dtype)
    dWx, dWh, db = 0.0, 0.0, 0.0
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh_next, dWx, dWh, db


# --------------------------------------------------------------------------- gradient checking


def rel_error(x: np.ndarray | float, y: np.ndarray | float) -> float:
    """CS231n's relative error: ``max |x - y| / max(1e-8, |x| + |y|)``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x`` (``x`` is perturbed in place)."""
    return eval_numerical_gradient_array(lambda z: np.asarray(f(z), dtype=np.float64), x, np.float64(1.0), h)


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * df)``: what a backward pass returns for upstream ``df``."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad
