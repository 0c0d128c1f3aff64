"""Positional encodings."""

from __future__ import annotations

import numpy as np

from ._checks import positive_float, positive_int

__all__ = ["sinusoidal_positional_encoding"]


def sinusoidal_positional_encoding(length: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""The sinusoidal position encodings of Vaswani et al. (2017).

    .. math::

        PE_{p,\,2i} = \sin\!\big(p / \text{base}^{2i/d_{model}}\big), \qquad
        PE_{p,\,2i+1} = \cos\!\big(p / \text{base}^{2i/d_{model}}\big)

    for positions ``p = 0 … length-1`` and ``i = 0 … d_model/2 - 1``: each pair of columns is a
    sine/cosine of one frequency, from one cycle per :math:`2\pi` positions (``i = 0``) down to one
    per :math:`2\pi \cdot \text{base}` positions.

    Returns
    -------
    ndarray, shape ``(length, d_model)``, float64.
    """
    length = positive_int(length, "length")
    d_model = positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine/cosine pairs), got {d_model}")
    base = positive_float(base, "base")
    positions = np.arange(length)[:, None]
    inv_freq = base ** (-np.arange(0, d_model, 2) / d_model)  # (d_model/2,)
    angles = positions * inv_freq[None, :]
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
