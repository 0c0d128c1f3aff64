"""Input checks shared by attnbook's public helpers.

Every public helper turns bad input into a ``TypeError`` or ``ValueError`` that names the
offending argument, its shape or its values, instead of letting numpy broadcast silently or
return NaN.
"""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, *, min_ndim: int = 0, allow_neg_inf: bool = False) -> np.ndarray:
    """Return ``x`` as a floating-point array (float32 stays float32; ints become float64).

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for NaN, +inf (and -inf unless
    ``allow_neg_inf``) or fewer than ``min_ndim`` dimensions.
    """
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    if np.isfinite(arr).all():  # the common case in one pass; otherwise find what is wrong
        return arr
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN (shape {arr.shape})")
    if np.isposinf(arr).any():
        raise ValueError(f"{name} contains +inf (shape {arr.shape})")
    if not allow_neg_inf and np.isneginf(arr).any():
        raise ValueError(f"{name} contains -inf (shape {arr.shape})")
    return arr


def positive_float(value, name: str) -> float:
    """Return ``value`` as a Python float, raising if it is not a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int, raising if it is not a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def bool_mask(mask, name: str, target_shape: tuple[int, ...]) -> np.ndarray:
    """Check that ``mask`` is boolean and broadcastable to ``target_shape``; return it as an array."""
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(
            f"{name} must be a boolean array (True = may attend), got dtype {arr.dtype}; "
            "convert 0/1 masks with mask.astype(bool)"
        )
    try:
        np.broadcast_shapes(arr.shape, target_shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to the scores' shape {target_shape}"
        ) from None
    if np.broadcast_shapes(arr.shape, target_shape) != tuple(target_shape):
        raise ValueError(
            f"{name} of shape {arr.shape} would enlarge the scores' shape {target_shape}"
        )
    return arr


def boolean(value, name: str) -> bool:
    """Return ``value`` as a bool, raising ``TypeError`` for anything but True/False (a string
    such as ``'no'`` is truthy and would silently mean True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def nonnegative_int(value, name: str) -> int:
    """Return ``value`` as an int, raising if it is not a whole number >= 0 (``3.5`` is refused,
    not rounded)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def seed_value(seed, name: str = "seed") -> int:
    """Check a seed for ``np.random.default_rng``: an int >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 0, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be an int >= 0, got {seed}")
    return int(seed)


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a numpy real floating-point dtype (float16, float32, float64)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a numpy floating-point dtype, got {dtype!r}") from None
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{name} must be a real floating-point dtype (float16, float32 or "
                        f"float64), got {dt}")
    return dt


def compute_dtype(dtype) -> np.dtype:
    """The type to compute in: float16 is widened to float32 (its sums over a few thousand terms
    overflow at 65504, and numpy's float16 arithmetic is slow); the others stay."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)
