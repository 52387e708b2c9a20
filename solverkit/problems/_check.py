"""Validation helpers shared by the problem kinds. Errors say what and what was expected."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np


def finite_array(name: str, value: Any, ndim: int | None = None, min_size: int = 1) -> np.ndarray:
    """``value`` as a float64 array, checked to be finite (a copy only when converting)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}") \
            from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
        )
    return arr


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def callable_arg(name: str, value: Any, signature: str) -> Callable[..., Any]:
    if not callable(value):
        raise TypeError(f"{name} must be a callable {signature}, got {type(value).__name__}")
    return value


def probe_vector(name: str, signature: str, value: Any, size: int) -> np.ndarray:
    """Check a callable's output at the start point: a finite vector of ``size``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{signature} must return a vector of {size} numbers, got "
                        f"{type(value).__name__}") from exc
    if arr.shape not in ((size,), (size, 1)):
        raise ValueError(f"{signature} must return shape ({size},), got {arr.shape}")
    arr = arr.reshape(size)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{signature} returned non-finite values at the start point ({name})")
    return arr


def probe_scalar(signature: str, value: Any) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError(f"{signature} must return a scalar, got shape {arr.shape}")
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise ValueError(f"{signature} returned {out} at the start point; expected a finite value")
    return out


def probe_matrix(signature: str, value: Any, shape: tuple[int, int]) -> Any:
    """Check a matrix-valued callable: dense, scipy.sparse or a LinearOperator of ``shape``."""
    if hasattr(value, "shape") and (hasattr(value, "tocsr") or hasattr(value, "matvec")):
        if tuple(value.shape) != shape:
            raise ValueError(f"{signature} must return a {shape[0]} x {shape[1]} matrix, "
                             f"got shape {tuple(value.shape)}")
        if hasattr(value, "tocsr") and not np.all(np.isfinite(value.data)):
            raise ValueError(f"{signature} returned non-finite entries at the start point")
        return value
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and shape[0] == 1 and arr.shape[0] == shape[1]:
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise ValueError(f"{signature} must return a {shape[0]} x {shape[1]} matrix, "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{signature} returned non-finite entries at the start point")
    return arr


def call(signature: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Evaluate a user callable at the start point; its errors name the call and the sizes."""
    try:
        return fn(*args)
    except Exception as exc:
        sizes = ", ".join(f"{np.shape(a)}" for a in args)
        raise ValueError(
            f"{signature} raised {type(exc).__name__}: {exc} (argument shapes {sizes}); check "
            "that the start point has the length your functions expect"
        ) from exc
