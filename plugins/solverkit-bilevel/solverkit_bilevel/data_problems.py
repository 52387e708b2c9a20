"""Bilevel problems on scikit-learn's bundled datasets (method spec B4, B5).

scikit-learn is an optional dependency (the ``[bench]`` extra); the builders
raise ImportError with the install line when it is missing. Nothing is
downloaded: ``load_digits`` and ``load_breast_cancer`` ship with scikit-learn.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy.special import expit

from solverkit.problems import Bilevel
from solverkit.sets import Box

from ._inner import solve_inner_accelerated
from ._oracle import Oracle

__all__ = ["DataInstance", "hyper_cleaning", "l2_selection", "accuracy"]


@dataclasses.dataclass(frozen=True)
class DataInstance:
    """A data bilevel problem and its held-out test split.

    Attributes
    ----------
    problem : Bilevel
        The problem handed to ``solverkit.solve`` (training and validation data
        live in its oracles).
    A_test, y_test : numpy.ndarray
        Test features (with the intercept column when the model has one) and labels.
    shape : tuple of int or None
        (features, classes) of a multinomial model's weight matrix; None for a
        binary linear model with labels in {0, 1}.
    flipped : numpy.ndarray or None
        Which training labels were corrupted (hyper-cleaning only).
    """

    problem: Bilevel
    A_test: np.ndarray
    y_test: np.ndarray
    shape: tuple[int, int] | None = None
    flipped: np.ndarray | None = None

    def accuracy(self, y: np.ndarray) -> float:
        """Test accuracy of the lower-level model ``y``."""
        if self.shape is None:
            return float(np.mean((self.A_test @ y > 0) == (self.y_test == 1)))
        W = np.asarray(y).reshape(self.shape)
        return float(np.mean(np.argmax(self.A_test @ W, axis=1) == self.y_test))

    def lower_level_solution(self, x: np.ndarray, y0: np.ndarray | None = None,
                             tol: float = 1e-10, max_steps: int = 50_000,
                             ) -> tuple[np.ndarray, int]:
        """The model y*(x) = argmin_Y g(x, .) at the upper-level point ``x``, solved tightly.

        Both data problems have a strongly convex lower level, so y*(x) is unique and it is
        the answer of the bilevel problem at x. Solvers return approximations of it at
        their own inner accuracy (the penalty methods' z at about 300 sigma max(tol, 0.1 gm),
        AID's y after at most 100 projected-gradient steps), and the penalty methods' y
        minimises sigma f + g, so it has also fitted the validation split; scoring every
        solver's x through this one solve compares the x they found, not their inner
        tolerances. Accelerated projected gradient to residual ``tol`` (distance to y*(x)
        at most tol / C), warm-started from ``y0``.

        Returns
        -------
        y : numpy.ndarray
            The lower-level solution.
        grad_calls : int
            Gradient evaluations the solve took (what a user of the solver would pay to
            obtain y*(x) from the returned point).
        """
        p = self.problem
        oracle = Oracle(p, np.random.default_rng(0))
        start = p.y0 if y0 is None else np.asarray(y0, dtype=float)
        r = solve_inner_accelerated(oracle, p.Y, np.asarray(x, dtype=float), start, 0.0, tol,
                                    max_steps, 1.0, "y")
        if r.residual > tol:
            raise RuntimeError(f"the lower-level solve stopped at residual {r.residual:.3g} > "
                               f"{tol:g} after {max_steps} steps")
        return r.v, oracle.grad_calls


def _sklearn() -> Any:
    try:
        import sklearn.datasets as ds
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("this benchmark needs scikit-learn: pip install "
                          "'solverkit-bilevel[bench]'") from exc
    return ds


def _split(n: int, rng: np.random.Generator, fractions: tuple[float, float]) -> tuple:
    perm = rng.permutation(n)
    a = int(fractions[0] * n)
    b = a + int(fractions[1] * n)
    return perm[:a], perm[a:b], perm[b:]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def hyper_cleaning(seed: int = 0, corruption: float = 0.5, C: float = 1e-3) -> DataInstance:
    """B4: data hyper-cleaning on digits (1797 x 64, 10 classes) with corrupted labels.

    A fraction ``corruption`` of the training labels is replaced by uniformly
    random classes; the split is 50/25/25 (train/validation/test). The lower
    level is a weighted multinomial logistic regression on the training set,
    g(x, W) = (1/n) sum_i s(x_i) CE(W; a_i, b_i) + C/2 ||W||^2 with s the
    sigmoid, the upper level the validation cross-entropy f(x, W). x (one
    weight per training sample) lives in X = [-6, 6]^n. The returned
    :class:`DataInstance` holds the test split and scores a W.
    """
    ds = _sklearn()
    digits = ds.load_digits()
    rng = np.random.default_rng(seed)
    A = digits.data / 16.0
    A = np.hstack([A, np.ones((A.shape[0], 1))])  # intercept column
    labels = digits.target.copy()
    tr, va, te = _split(A.shape[0], rng, (0.5, 0.25))
    k = 10
    noisy = labels[tr].copy()
    flip = rng.random(tr.size) < corruption
    noisy[flip] = rng.integers(0, k, flip.sum())
    Atr, Ava = A[tr], A[va]
    Ytr, Yva = np.eye(k)[noisy], np.eye(k)[labels[va]]
    d, n, m = A.shape[1], tr.size, va.size

    def unpack(y: np.ndarray) -> np.ndarray:
        return y.reshape(d, k)

    def f(x: np.ndarray, y: np.ndarray) -> float:
        P = _softmax(Ava @ unpack(y))
        return float(-np.mean(np.sum(Yva * np.log(P + 1e-300), axis=1)))

    def grad_f(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P = _softmax(Ava @ unpack(y))
        return np.zeros(n), (Ava.T @ (P - Yva) / m).ravel()

    def weights(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-x))

    def g(x: np.ndarray, y: np.ndarray) -> float:
        W = unpack(y)
        P = _softmax(Atr @ W)
        ce = -np.sum(Ytr * np.log(P + 1e-300), axis=1)
        return float(np.mean(weights(x) * ce) + 0.5 * C * y @ y)

    def grad_g(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W = unpack(y)
        P = _softmax(Atr @ W)
        ce = -np.sum(Ytr * np.log(P + 1e-300), axis=1)
        s = weights(x)
        gy = (Atr.T @ ((s / n)[:, None] * (P - Ytr))).ravel() + C * y
        gx = s * (1 - s) * ce / n
        return gx, gy

    def hvp_g(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W, V = unpack(y), unpack(v)
        P = _softmax(Atr @ W)
        dZ = Atr @ V
        dP = P * (dZ - np.sum(P * dZ, axis=1, keepdims=True))
        s = weights(x)
        hyy = (Atr.T @ ((s / n)[:, None] * dP)).ravel() + C * v
        # d/dx_i of grad_W g is s'(x_i)/n a_i (p_i - y_i)'; contract with V.
        hxy = s * (1 - s) / n * np.sum((P - Ytr) * dZ, axis=1)
        return hxy, hyy

    prob = Bilevel(f, g, grad_f, grad_g, np.zeros(n), np.zeros(d * k), X=Box(-6.0, 6.0, dim=n),
                   hvp_g=hvp_g, name=f"hyper-cleaning-digits-p{corruption}-{seed}")
    return DataInstance(prob, A_test=A[te], y_test=labels[te], shape=(d, k), flipped=flip)


def l2_selection(seed: int = 0) -> DataInstance:
    """B5: per-feature L2 regularisation on breast_cancer (569 x 30, binary).

    Lower level: logistic regression on the training split with penalty
    1/2 sum_j exp(x_j) w_j^2; upper level: validation logistic loss. Features are
    standardised on the training split; split 50/25/25; X = [-8, 6]^30.
    """
    ds = _sklearn()
    data = ds.load_breast_cancer()
    rng = np.random.default_rng(seed)
    tr, va, te = _split(data.data.shape[0], rng, (0.5, 0.25))
    mu, sd = data.data[tr].mean(axis=0), data.data[tr].std(axis=0) + 1e-12
    A = (data.data - mu) / sd
    b = 2.0 * data.target - 1.0
    Atr, btr, Ava, bva = A[tr], b[tr], A[va], b[va]
    n, d = tr.size, A.shape[1]

    def logloss(M: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, -t * (M @ w))))

    def logloss_grad(M: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
        z = -t * (M @ w)
        return M.T @ (-t * expit(z)) / M.shape[0]

    def f(x: np.ndarray, y: np.ndarray) -> float:
        return logloss(Ava, bva, y)

    def grad_f(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(d), logloss_grad(Ava, bva, y)

    def g(x: np.ndarray, y: np.ndarray) -> float:
        return logloss(Atr, btr, y) + 0.5 * float(np.sum(np.exp(x) * y**2))

    def grad_g(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(x)
        return 0.5 * e * y**2, logloss_grad(Atr, btr, y) + e * y

    def hvp_g(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = expit((Atr @ y) * btr)
        e = np.exp(x)
        hyy = Atr.T @ (s * (1 - s) * (Atr @ v)) / n + e * v
        return e * y * v, hyy

    prob = Bilevel(f, g, grad_f, grad_g, np.zeros(d), np.zeros(d), X=Box(-8.0, 6.0, dim=d),
                   hvp_g=hvp_g, name=f"l2-selection-breast-cancer-{seed}")
    return DataInstance(prob, A_test=A[te], y_test=data.target[te])


def accuracy(instance: DataInstance, y: np.ndarray) -> float:
    """Test accuracy of the lower-level model ``y`` on the instance's test split."""
    return instance.accuracy(y)
