"""Test and benchmark tensors: a seeded synthetic generator and offline real data.

Real tensors come only from files shipped inside installed wheels (nothing is
downloaded): tensorly's Indian Pines (145 x 145 x 200 AVIRIS hyperspectral
cube) and kinetic data, and scikit-learn's bundled digits and sample images.
Each loader raises ``ImportError`` when its package is missing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["low_rank_plus_noise", "indian_pines", "kinetic", "digits", "sample_images",
           "synthetic_spectra"]


def low_rank_plus_noise(shape: tuple[int, ...], ranks: tuple[int, ...], noise: float = 0.1,
                        decay: float = 0.5, seed: int = 0) -> np.ndarray:
    """A Tucker tensor with orthonormal factors and a decaying Gaussian core, plus noise.

    The core entry at index ``(i_1, ..., i_N)`` is Gaussian times
    ``exp(-decay * sum_n i_n / R_n)``, so energy decays across the core (not
    the degenerate 99%-in-rank-1 case of nonnegative random factors). Noise
    is Gaussian with ``||noise|| = noise * ||signal||``.

    Parameters
    ----------
    shape, ranks : tuple of int
        Tensor shape and true multilinear rank (``R_n <= I_n``).
    noise : float
        Relative noise level (Frobenius norm ratio).
    decay : float
        Core decay rate (0 = flat).
    seed : int
    """
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.arange(r) / r for r in ranks], indexing="ij")
    core = rng.standard_normal(ranks) * np.exp(-decay * sum(grids))
    x = core
    for m, (i, r) in enumerate(zip(shape, ranks, strict=True)):
        u = np.linalg.qr(rng.standard_normal((i, r)))[0]
        x = np.moveaxis(np.tensordot(x, u, axes=(m, 1)), -1, m)
    e = rng.standard_normal(shape)
    return x + noise * np.linalg.norm(x) / np.linalg.norm(e) * e


def indian_pines() -> np.ndarray:
    """tensorly's bundled Indian Pines cube, 145 x 145 x 200 (float64)."""
    from tensorly.datasets import load_indian_pines

    return np.asarray(load_indian_pines().tensor, dtype=np.float64)


def kinetic() -> np.ndarray:
    """tensorly's bundled kinetic fluorescence data, 64 x 12 x 10 x 60."""
    from tensorly.datasets import load_kinetic

    x = np.asarray(load_kinetic().tensor, dtype=np.float64)
    return np.nan_to_num(x)


def digits() -> np.ndarray:
    """scikit-learn's bundled handwritten digits as a 1797 x 8 x 8 tensor."""
    from sklearn.datasets import load_digits

    return np.asarray(load_digits().images, dtype=np.float64)


def sample_images() -> np.ndarray:
    """scikit-learn's two bundled photos, 2 x 427 x 640 x 3, scaled to [0, 1]."""
    from sklearn.datasets import load_sample_images

    return np.asarray(load_sample_images().images, dtype=np.float64) / 255.0


def synthetic_spectra(shape: tuple[int, ...], seed: int = 0):
    """Mode spectra with a random exponential decay per mode (no tensor needed).

    For timing the searches on the paper's (large) tensor shapes: each mode's
    squared singular values decay like ``exp(-i / (I_n / d_n))`` with a random
    ``d_n`` in [3, 15] and random jitter, normalised so that ``||X||^2 = 1``.
    """
    from .spectra import Spectra

    rng = np.random.default_rng(seed)
    sigma2, heads = [], []
    for i in shape:
        v = rng.random(i) * np.exp(-np.arange(i) / (i / rng.uniform(3, 15)))
        v = np.sort(v)[::-1] / v.sum()
        h = np.minimum(np.concatenate(([0.0], np.cumsum(v))), 1.0)
        h[-1] = 1.0
        sigma2.append(v)
        heads.append(h)
    return Spectra(tuple(shape), tuple(sigma2), 1.0, tuple(heads), tuple(shape))
