"""The NumPy layers against centred numerical gradients, CS231n's published test vectors and PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    conv_backward,
    conv_backward_params,
    conv_forward,
    conv_forward_naive,
    dropout_backward,
    dropout_forward,
    eval_numerical_gradient,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    max_pool_backward,
    max_pool_forward,
    rel_error,
    relu_backward,
    relu_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    row_max,
    row_sum,
    sigmoid_backward,
    sigmoid_forward,
    softmax_cross_entropy,
)
from layers import (
    eval_numerical_gradient_array as numeric,
)

SMOOTH = 1e-7  # CS231n: "you should be happy" below this
KINKED = 1e-5  # ReLU / max-pool at a random point off the kinks
TORCH = 1e-10


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(231)


def off_kink(rng: np.random.Generator, shape: tuple[int, ...], margin: float = 0.05) -> np.ndarray:
    """Random values at least ``margin`` away from 0, the ReLU kink."""
    x = rng.uniform(margin, 1.0, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


# --------------------------------------------------------------------------- affine, ReLU


def test_affine_backward_matches_numerical_gradient(rng):
    x, w, b = rng.normal(size=(4, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    assert rel_error(dx, numeric(lambda v: affine_forward(v, w, b)[0], x, dout)) < SMOOTH
    assert rel_error(dw, numeric(lambda v: affine_forward(x, v, b)[0], w, dout)) < SMOOTH
    assert rel_error(db, numeric(lambda v: affine_forward(x, w, v)[0], b, dout)) < SMOOTH


def test_relu_backward_matches_numerical_gradient_off_the_kink(rng):
    x, dout = off_kink(rng, (5, 7)), rng.normal(size=(5, 7))
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    assert rel_error(dx, numeric(lambda v: relu_forward(v)[0], x, dout)) < KINKED


def test_sigmoid_backward_matches_numerical_gradient(rng):
    x, dout = 3 * rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    _, cache = sigmoid_forward(x)
    dx = sigmoid_backward(dout, cache)
    assert rel_error(dx, numeric(lambda v: sigmoid_forward(v)[0], x, dout)) < SMOOTH


def test_sigmoid_is_the_logistic_function_and_does_not_overflow():
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = sigmoid_forward(x)
    assert np.allclose(out[1:4], 1 / (1 + np.exp(-x[1:4])), rtol=1e-15)
    assert out[0] == 0.0 and out[-1] == 1.0


# --------------------------------------------------------------------------- convolution


def test_conv_forward_reproduces_cs231n_test_vector():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    correct_out = np.array(
        [
            [
                [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
            ],
            [
                [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
            ],
        ]
    )
    param = {"stride": 2, "pad": 1}
    assert rel_error(conv_forward_naive(x, w, b, param)[0], correct_out) < 1e-7
    assert rel_error(conv_forward(x, w, b, param)[0], correct_out) < 1e-7


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "pad"),
    [
        ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1),
        ((3, 1, 8, 8), (8, 1, 3, 3), 1, 1),
        ((2, 3, 9, 6), (5, 3, 3, 2), 2, 0),
        ((1, 2, 11, 11), (3, 2, 5, 5), 3, 2),
        ((2, 2, 5, 5), (2, 2, 1, 1), 2, 0),
    ],
)
def test_vectorised_conv_equals_naive_loops(rng, x_shape, w_shape, stride, pad):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    param = {"stride": stride, "pad": pad}
    assert rel_error(conv_forward(x, w, b, param)[0], conv_forward_naive(x, w, b, param)[0]) < 1e-9


@pytest.mark.parametrize(("stride", "pad"), [(1, 1), (2, 1), (2, 0)])
def test_conv_backward_matches_numerical_gradient(rng, stride, pad):
    x, w, b = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(3, 3, 3, 3)), rng.normal(size=3)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward(x, w, b, param)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv_backward(dout, cache)
    assert rel_error(dx, numeric(lambda v: conv_forward(v, w, b, param)[0], x, dout)) < SMOOTH
    assert rel_error(dw, numeric(lambda v: conv_forward(x, v, b, param)[0], w, dout)) < SMOOTH
    assert rel_error(db, numeric(lambda v: conv_forward(x, w, v, param)[0], b, dout)) < SMOOTH


def test_conv_relu_backward_matches_numerical_gradient_off_the_kinks(rng):
    x, w, b = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    param = {"stride": 1, "pad": 1}

    def conv_relu(x, w, b):
        return relu_forward(conv_forward(x, w, b, param)[0])[0]

    a, conv_cache = conv_forward(x, w, b, param)
    assert np.abs(a).min() > 1e-3  # this draw is off the ReLU kink
    out, relu_cache = relu_forward(a)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv_backward(relu_backward(dout, relu_cache), conv_cache)
    assert rel_error(dx, numeric(lambda v: conv_relu(v, w, b), x, dout)) < KINKED
    assert rel_error(dw, numeric(lambda v: conv_relu(x, v, b), w, dout)) < KINKED
    assert rel_error(db, numeric(lambda v: conv_relu(x, w, v), b, dout)) < KINKED


# --------------------------------------------------------------------------- max-pooling


def test_max_pool_forward_reproduces_cs231n_test_vector():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    correct = np.array([[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]])
    assert out.shape == (2, 3, 2, 2)
    assert rel_error(out[0, 0], correct) < 1e-7


@pytest.mark.parametrize(
    ("shape", "pool"),
    [
        ((2, 3, 8, 8), (2, 2, 2)),  # windows tile the input: the reshape path
        ((2, 2, 7, 7), (3, 3, 2)),  # overlapping windows: the general path
        ((1, 2, 6, 5), (2, 3, 1)),
        ((2, 2, 5, 7), (2, 2, 2)),  # the last row and column are in no window
    ],
)
def test_max_pool_backward_matches_numerical_gradient(rng, shape, pool):
    x = rng.permutation(np.arange(np.prod(shape), dtype=float)).reshape(shape) / 10  # distinct: no ties
    param = dict(zip(("pool_height", "pool_width", "stride"), pool, strict=True))
    out, cache = max_pool_forward(x, param)
    dout = rng.normal(size=out.shape)
    dx = max_pool_backward(dout, cache)
    num = numeric(lambda v: max_pool_forward(v, param)[0], x, dout)
    assert rel_error(dx, num) < KINKED


def max_pool_by_window(x: np.ndarray, dout: np.ndarray, ph: int, pw: int, stride: int):
    """The reference: one window at a time, ``argmax`` (the first maximum in row-major order)."""
    N, C, H_out, W_out = dout.shape
    out, dx = np.empty_like(dout), np.zeros(x.shape, dtype=dout.dtype)
    for n, c, i, j in np.ndindex(N, C, H_out, W_out):
        window = x[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw]
        k = int(np.argmax(window))
        out[n, c, i, j] = window.flat[k]
        dx[n, c, i * stride + k // pw, j * stride + k % pw] += dout[n, c, i, j]
    return out, dx


@pytest.mark.parametrize(
    ("shape", "pool"),
    [
        ((3, 4, 8, 8), (2, 2, 2)),
        ((2, 3, 9, 7), (2, 2, 2)),  # the last row is in no window
        ((2, 2, 9, 12), (3, 3, 3)),
        ((2, 2, 6, 8), (3, 2, 3)),  # ph != pw: the overlapping path's strided views
        ((1, 1, 8, 8), (1, 1, 1)),
    ],
)
@pytest.mark.parametrize("layout", ["contiguous", "channels first", "strided"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_equals_the_window_by_window_reference_on_ties_in_every_memory_layout(rng, shape, pool, layout, dtype):
    x = rng.integers(0, 3, size=shape).astype(dtype)  # ties in most windows
    if layout == "channels first":  # (C, N, H, W) memory seen as (N, C, H, W): how a conv layer returns its output
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    elif layout == "strided":
        x = np.repeat(x, 2, axis=3)[..., ::2]
    ph, pw, stride = pool
    out, cache = max_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    dout = rng.normal(size=out.shape).astype(dtype)
    dx = max_pool_backward(dout, cache)
    out_ref, dx_ref = max_pool_by_window(x, dout, ph, pw, stride)
    assert out.dtype == dx.dtype == dtype and dx.shape == x.shape
    assert np.array_equal(out, out_ref)
    assert np.array_equal(dx, dx_ref)


def test_max_pool_takes_nan_as_the_maximum_of_its_window():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    out, _ = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert np.isnan(out[0, 0, 0, 0]) and np.array_equal(out[0, 0, 1], [13.0, 15.0])


def test_keep_freed_memory_reaches_glibc_malloc():
    import platform

    from harness import keep_freed_memory

    expected = platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected


@pytest.mark.parametrize(("shape", "pool"), [((1, 1, 4, 4), (2, 2, 2)), ((1, 1, 4, 4), (3, 3, 1))])
def test_max_pool_backward_gives_a_tied_window_gradient_to_its_first_maximum(shape, pool):
    x = np.zeros(shape)  # every entry of every window is a maximum (as after ReLU)
    param = dict(zip(("pool_height", "pool_width", "stride"), pool, strict=True))
    out, cache = max_pool_forward(x, param)
    dout = np.arange(1.0, out.size + 1).reshape(out.shape)
    dx = max_pool_backward(dout, cache)
    stride = pool[2]
    expected = np.zeros(shape)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            expected[0, 0, i * stride, j * stride] += dout[0, 0, i, j]  # the window's top-left entry
    assert np.array_equal(dx, expected)


# --------------------------------------------------------------------------- dropout


def test_dropout_test_mode_is_identity(rng):
    x = rng.normal(size=(50, 40))
    out, cache = dropout_forward(x, {"p": 0.7, "mode": "test"})
    assert np.array_equal(out, x)
    assert np.array_equal(dropout_backward(x, cache), x)


@pytest.mark.parametrize("p", [0.25, 0.5, 0.8])
def test_dropout_train_mode_drops_fraction_p_and_keeps_the_expectation(p):
    x = np.full((500, 500), 3.0)
    out, _ = dropout_forward(x, {"p": p, "mode": "train", "seed": 0})
    assert np.mean(out == 0) == pytest.approx(p, abs=0.005)
    assert out.mean() == pytest.approx(3.0, rel=0.02)
    assert np.allclose(out[out != 0], 3.0 / (1 - p))


def test_dropout_backward_matches_numerical_gradient_for_a_fixed_seed(rng):
    x, dout = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    param = {"p": 0.4, "mode": "train", "seed": 7}
    _, cache = dropout_forward(x, param)
    num = numeric(lambda v: dropout_forward(v, param)[0], x, dout)
    assert rel_error(dropout_backward(dout, cache), num) < SMOOTH


def test_dropout_draws_from_a_given_generator():
    x = np.ones((20, 20))
    a, _ = dropout_forward(x, {"p": 0.5, "mode": "train", "rng": np.random.default_rng(3)})
    b, _ = dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 3})
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------- batch normalization


def test_batchnorm_backward_matches_numerical_gradient(rng):
    N, D = 6, 4
    x = 3 * rng.normal(size=(N, D)) + 2
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    dout = rng.normal(size=(N, D))

    def f(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]

    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    assert rel_error(dx, numeric(lambda v: f(v, gamma, beta), x, dout)) < SMOOTH
    assert rel_error(dgamma, numeric(lambda v: f(x, v, beta), gamma, dout)) < SMOOTH
    assert rel_error(dbeta, numeric(lambda v: f(x, gamma, v), beta, dout)) < SMOOTH


def test_batchnorm_train_output_has_zero_mean_and_unit_scale(rng):
    N, D = 200, 3
    x = 5 * rng.normal(size=(N, D)) + 12
    out, _ = batchnorm_forward(x, np.ones(D), np.zeros(D), {"mode": "train"})
    var = x.var(axis=0)
    assert np.all(np.abs(out.mean(axis=0)) < 1e-7)
    assert np.allclose(out.std(axis=0), np.sqrt(var / (var + 1e-5)), rtol=1e-12)
    assert np.allclose(out.std(axis=0), 1.0, atol=1e-3)


def test_batchnorm_running_statistics_follow_pytorch_update_rule(rng):
    N, D = 10, 4
    bn_param = {"mode": "train"}
    expected_mean, expected_var = np.zeros(D), np.ones(D)
    for _ in range(3):
        x = 2 * rng.normal(size=(N, D)) + 1
        batchnorm_forward(x, np.ones(D), np.zeros(D), bn_param)
        expected_mean = 0.9 * expected_mean + 0.1 * x.mean(axis=0)
        expected_var = 0.9 * expected_var + 0.1 * x.var(axis=0, ddof=1)
    assert np.allclose(bn_param["running_mean"], expected_mean, rtol=1e-14, atol=0)
    assert np.allclose(bn_param["running_var"], expected_var, rtol=1e-14, atol=0)


def test_batchnorm_test_mode_normalises_with_running_statistics(rng):
    D = 3
    mean, var = rng.normal(size=D), rng.uniform(0.5, 2, size=D)
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    x = rng.normal(size=(4, D))
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": mean, "running_var": var})
    assert np.allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-5) + beta, rtol=1e-14)


# --------------------------------------------------------------------------- softmax cross-entropy


def test_softmax_cross_entropy_gradient_matches_numerical_gradient(rng):
    scores, y = rng.normal(size=(7, 5)), rng.integers(0, 5, size=7)
    loss, dscores = softmax_cross_entropy(scores, y)
    num = eval_numerical_gradient(lambda s: softmax_cross_entropy(s, y)[0], scores)
    assert rel_error(dscores, num) < SMOOTH


def test_softmax_cross_entropy_of_uniform_scores_is_log_k():
    loss, _ = softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 3, 9, 2]))
    assert loss == pytest.approx(np.log(10), rel=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_scores():
    loss, dscores = softmax_cross_entropy(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert loss == pytest.approx(500.0)
    assert np.all(np.isfinite(dscores))


# --------------------------------------------------------------------------- vanilla RNN


def test_rnn_step_forward_reproduces_cs231n_test_vector():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    expected_next_h = np.array(
        [
            [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
            [0.66854692, 0.79562378, 0.87755553, 0.92795967],
            [0.97934501, 0.99144213, 0.99646691, 0.99854353],
        ]
    )
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    assert rel_error(next_h, expected_next_h) < 1e-7


def test_rnn_step_backward_matches_numerical_gradient(rng):
    N, D, H = 4, 5, 6
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)) / 2, rng.normal(size=(H, H)) / 2, rng.normal(size=H)
    dnext_h = rng.normal(size=(N, H))
    _, cache = rnn_step_forward(x, h, Wx, Wh, b)
    grads = rnn_step_backward(dnext_h, cache)
    inputs = [x, h, Wx, Wh, b]
    for k, analytic in enumerate(grads):

        def f(v, k=k):
            args = list(inputs)
            args[k] = v
            return rnn_step_forward(*args)[0]

        assert rel_error(analytic, numeric(f, inputs[k], dnext_h)) < SMOOTH


def test_rnn_forward_equals_a_loop_of_steps(rng):
    N, T, D, H = 3, 5, 4, 6
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=H)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    h_t = h0
    for t in range(T):
        h_t, _ = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        assert rel_error(h[:, t], h_t) < 1e-12


@pytest.mark.parametrize(
    ("forward", "backward", "gates", "tol"),
    [
        (rnn_forward, rnn_backward, 1, SMOOTH),
        # Summed over T steps, a near-zero LSTM weight gradient carries the finite difference's round-off
        # (1.8e-7 seen for one entry of 1.9e-5); CS231n's LSTM check asks for 1e-6 or less.
        (lstm_forward, lstm_backward, 4, 1e-6),
    ],
    ids=["rnn", "lstm"],
)
def test_sequence_backward_matches_numerical_gradient(rng, forward, backward, gates, tol):
    N, T, D, H = 2, 4, 3, 5
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh = rng.normal(size=(D, gates * H)) / 2, rng.normal(size=(H, gates * H)) / 2
    b = rng.normal(size=gates * H)
    dh = rng.normal(size=(N, T, H))
    _, cache = forward(x, h0, Wx, Wh, b)
    grads = backward(dh, cache)
    inputs = [x, h0, Wx, Wh, b]
    for k, analytic in enumerate(grads):

        def f(v, k=k):
            args = list(inputs)
            args[k] = v
            return forward(*args)[0]

        assert rel_error(analytic, numeric(f, inputs[k], dh)) < tol, k


def test_lstm_step_forward_reproduces_cs231n_test_vector():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    expected_next_h = np.array(
        [
            [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
            [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
            [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
        ]
    )
    expected_next_c = np.array(
        [
            [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
            [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
            [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
        ]
    )
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    assert rel_error(next_h, expected_next_h) < 1e-7
    assert rel_error(next_c, expected_next_c) < 1e-7


def test_lstm_step_backward_matches_numerical_gradient(rng):
    N, D, H = 4, 5, 6
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, 4 * H)) / 2, rng.normal(size=(H, 4 * H)) / 2, rng.normal(size=4 * H)
    dnext_h, dnext_c = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    _, _, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    grads = lstm_step_backward(dnext_h, dnext_c, cache)
    inputs = [x, h, c, Wx, Wh, b]
    for k, analytic in enumerate(grads):

        def f_h(v, k=k):
            args = list(inputs)
            args[k] = v
            return lstm_step_forward(*args)[0]

        def f_c(v, k=k):
            args = list(inputs)
            args[k] = v
            return lstm_step_forward(*args)[1]

        numerical = numeric(f_h, inputs[k], dnext_h) + numeric(f_c, inputs[k], dnext_c)
        assert rel_error(analytic, numerical) < SMOOTH, k


def test_lstm_cell_gradient_is_not_squashed_by_a_weight_matrix(rng):
    # With the forget gate saturated open (f = 1) and the other gates shut, dprev_c equals dnext_c exactly:
    # the additive path an RNN's h_t -> h_{t-1} (through tanh' and W_hh) does not have.
    N, D, H = 2, 3, 4
    b = np.concatenate([np.full(H, -50.0), np.full(H, 50.0), np.full(H, -50.0), np.zeros(H)])
    _, _, cache = lstm_step_forward(
        rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
        rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), b,
    )  # fmt: skip
    dnext_c = rng.normal(size=(N, H))
    _, _, dprev_c, _, _, _ = lstm_step_backward(np.zeros((N, H)), dnext_c, cache)
    assert np.allclose(dprev_c, dnext_c, rtol=0, atol=1e-15)


# --------------------------------------------------------------------------- PyTorch, in float64


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def t64(torch, a: np.ndarray, grad: bool = True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize(("stride", "pad"), [(1, 1), (2, 1), (2, 0), (3, 2)])
def test_conv_forward_and_backward_equal_torch_conv2d(torch, rng, stride, pad):
    x, w, b = rng.normal(size=(3, 2, 9, 8)), rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    out, cache = conv_forward(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv_backward(dout, cache)
    xt, wt, bt = t64(torch, x), t64(torch, w), t64(torch, b)
    out_t = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad)
    out_t.backward(torch.tensor(dout))
    assert rel_error(out, out_t.detach().numpy()) < TORCH
    assert rel_error(dx, xt.grad.numpy()) < TORCH
    assert rel_error(dw, wt.grad.numpy()) < TORCH
    assert rel_error(db, bt.grad.numpy()) < TORCH


@pytest.mark.parametrize(("shape", "pool"), [((2, 3, 8, 8), (2, 2, 2)), ((2, 3, 9, 7), (3, 3, 2))])
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_forward_and_backward_equal_torch_max_pool2d(torch, rng, shape, pool, ties):
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
    ph, pw, stride = pool
    out, cache = max_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    dout = rng.normal(size=out.shape)
    dx = max_pool_backward(dout, cache)
    xt = t64(torch, x)
    out_t = torch.nn.functional.max_pool2d(xt, (ph, pw), stride=stride)
    out_t.backward(torch.tensor(dout))
    assert rel_error(out, out_t.detach().numpy()) < TORCH
    assert rel_error(dx, xt.grad.numpy()) < TORCH


def test_batchnorm_equals_torch_batchnorm1d_in_train_and_eval_mode(torch, rng):
    N, D = 16, 5
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    bn = torch.nn.BatchNorm1d(D, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    bn_param: dict = {"mode": "train"}
    for _ in range(4):
        x = 3 * rng.normal(size=(N, D)) - 1
        dout = rng.normal(size=(N, D))
        out, cache = batchnorm_forward(x, gamma, beta, bn_param)
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        bn.zero_grad()
        xt = t64(torch, x)
        out_t = bn(xt)
        out_t.backward(torch.tensor(dout))
        assert rel_error(out, out_t.detach().numpy()) < TORCH
        assert rel_error(dx, xt.grad.numpy()) < TORCH
        assert rel_error(dgamma, bn.weight.grad.numpy()) < TORCH
        assert rel_error(dbeta, bn.bias.grad.numpy()) < TORCH
        assert rel_error(bn_param["running_mean"], bn.running_mean.numpy()) < TORCH
        assert rel_error(bn_param["running_var"], bn.running_var.numpy()) < TORCH
    bn.eval()
    x = rng.normal(size=(N, D))
    out, _ = batchnorm_forward(x, gamma, beta, {**bn_param, "mode": "test"})
    assert rel_error(out, bn(t64(torch, x, grad=False)).detach().numpy()) < TORCH


def test_rnn_forward_and_backward_equal_torch_rnn(torch, rng):
    N, T, D, H = 3, 6, 4, 5
    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    W_ih, W_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    Wx, Wh = W_ih.detach().numpy().T.copy(), W_hh.detach().numpy().T.copy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    x, h0, dh = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)
    xt, h0t = t64(torch, x), t64(torch, h0[None])
    h_t, _ = rnn(xt, h0t)
    h_t.backward(torch.tensor(dh))
    assert rel_error(h, h_t.detach().numpy()) < TORCH
    assert rel_error(dx, xt.grad.numpy()) < TORCH
    assert rel_error(dh0, h0t.grad.numpy()[0]) < TORCH
    assert rel_error(dWx, W_ih.grad.numpy().T) < TORCH
    assert rel_error(dWh, W_hh.grad.numpy().T) < TORCH
    assert rel_error(db, rnn.bias_ih_l0.grad.numpy()) < TORCH
    assert rel_error(db, rnn.bias_hh_l0.grad.numpy()) < TORCH


def test_lstm_forward_and_backward_equal_torch_lstm(torch, rng):
    N, T, D, H = 3, 6, 4, 5
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    # PyTorch stacks the gates i, f, g, o; CS231n (and layers.py) i, f, o, g.
    order = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (0, 1, 3, 2)])
    W_ih, W_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    Wx, Wh = W_ih.detach().numpy().T[:, order].copy(), W_hh.detach().numpy().T[:, order].copy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()[order]
    x, h0, dh = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    h, caches = lstm_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = lstm_backward(dh, caches)
    xt, h0t = t64(torch, x), t64(torch, h0[None])
    h_t, _ = lstm(xt, (h0t, torch.zeros(1, N, H, dtype=torch.float64)))
    h_t.backward(torch.tensor(dh))
    assert rel_error(h, h_t.detach().numpy()) < TORCH
    assert rel_error(dx, xt.grad.numpy()) < TORCH
    assert rel_error(dh0, h0t.grad.numpy()[0]) < TORCH
    assert rel_error(dWx, W_ih.grad.numpy().T[:, order]) < TORCH
    assert rel_error(dWh, W_hh.grad.numpy().T[:, order]) < TORCH
    assert rel_error(db, lstm.bias_ih_l0.grad.numpy()[order]) < TORCH


def test_softmax_cross_entropy_equals_torch_cross_entropy(torch, rng):
    scores, y = 4 * rng.normal(size=(9, 6)), rng.integers(0, 6, size=9)
    loss, dscores = softmax_cross_entropy(scores, y)
    st = t64(torch, scores)
    loss_t = torch.nn.functional.cross_entropy(st, torch.tensor(y))
    loss_t.backward()
    assert rel_error(loss, loss_t.item()) < TORCH
    assert rel_error(dscores, st.grad.numpy()) < TORCH


# --------------------------------------------------------------------------- dtypes


def _layer_cases(rng: np.random.Generator, dtype: type) -> dict[str, tuple]:
    """Each layer as (forward, backward, inputs): every array of one dtype, shapes as the demos use them."""

    def a(*shape: int) -> np.ndarray:
        return rng.normal(size=shape).astype(dtype)

    conv, pool = {"stride": 1, "pad": 1}, {"pool_height": 2, "pool_width": 2, "stride": 2}
    overlapping = {"pool_height": 3, "pool_width": 3, "stride": 2}
    train_bn = {"mode": "train"}
    return {
        "affine": (affine_forward, affine_backward, (a(4, 3, 2), a(6, 5), a(5))),
        "relu": (relu_forward, relu_backward, (a(4, 5),)),
        "sigmoid": (sigmoid_forward, sigmoid_backward, (a(4, 5),)),
        "conv": (lambda x, w, b: conv_forward(x, w, b, conv), conv_backward, (a(2, 3, 6, 6), a(4, 3, 3, 3), a(4))),
        "conv_naive": (lambda x, w, b: conv_forward_naive(x, w, b, conv), None, (a(2, 3, 6, 6), a(4, 3, 3, 3), a(4))),
        "max_pool": (lambda x: max_pool_forward(x, pool), max_pool_backward, (a(2, 3, 6, 6),)),
        "max_pool_overlapping": (lambda x: max_pool_forward(x, overlapping), max_pool_backward, (a(2, 3, 7, 7),)),
        "dropout": (lambda x: dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 0}), dropout_backward, (a(4, 5),)),
        "batchnorm": (lambda x, g, b: batchnorm_forward(x, g, b, train_bn), batchnorm_backward, (a(6, 5), a(5), a(5))),
        "batchnorm_test": (lambda x, g, b: batchnorm_forward(x, g, b, {"mode": "test"}), None, (a(6, 5), a(5), a(5))),
        "rnn_step": (rnn_step_forward, rnn_step_backward, (a(3, 4), a(3, 5), a(4, 5), a(5, 5), a(5))),
        "rnn": (rnn_forward, rnn_backward, (a(3, 6, 4), a(3, 5), a(4, 5), a(5, 5), a(5))),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layer_keeps_the_dtype_of_its_inputs(dtype):
    rng = np.random.default_rng(0)
    for name, (forward, backward, inputs) in _layer_cases(rng, dtype).items():
        out, cache = forward(*inputs)
        assert out.dtype == dtype, f"{name} forward gave {out.dtype}"
        if backward is not None:
            grads = backward(rng.normal(size=out.shape).astype(dtype), cache)
            for g in grads if isinstance(grads, tuple) else (grads,):
                assert g.dtype == dtype, f"{name} backward gave {g.dtype}"
    scores = rng.normal(size=(4, 10)).astype(dtype)
    _, dscores = softmax_cross_entropy(scores, rng.integers(0, 10, size=4))
    assert dscores.dtype == dtype


# --------------------------------------------------------------------------- fast paths equal to the plain ones


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_and_row_sum_equal_numpy_bit_for_bit(rng, dtype):
    """The demos' softmax uses them at every step: any difference, even in the last bit, would change the
    trained networks (a large-rate fine-tuning run is chaotic), so they must be NumPy's own results."""
    for K in range(1, 140):
        for N in (1, 7, 32, 1437):
            z = (rng.standard_normal((N, K)) * rng.uniform(0.1, 1e4)).astype(dtype)
            for case in (z, np.exp(z - z.max(axis=1, keepdims=True)), np.asfortranarray(z), z[:, ::-1]):
                assert np.array_equal(row_max(case), case.max(axis=1, keepdims=True)), (K, N)
                assert np.array_equal(row_sum(case), case.sum(axis=1, keepdims=True)), (K, N)


def test_conv_backward_params_equal_conv_backwards_dw_and_db(rng):
    x, w, b = rng.normal(size=(4, 3, 7, 7)), rng.normal(size=(5, 3, 3, 3)), rng.normal(size=5)
    out, cache = conv_forward(x, w, b, {"stride": 2, "pad": 1})
    dout = rng.normal(size=out.shape)
    _, dw, db = conv_backward(dout, cache)
    dw_alone, db_alone = conv_backward_params(dout, cache)
    assert np.array_equal(dw_alone, dw) and np.array_equal(db_alone, db)
