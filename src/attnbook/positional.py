"""Positional encodings."""

from __future__ import annotations

import numpy as np

from ._checks import positive_float, positive_int

__all__ = ["sinusoidal_frequencies", "sinusoidal_positional_encoding", "sinusoidal_shift_matrix"]


def sinusoidal_frequencies(d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""The angular frequencies of the sinusoidal encodings, one per (sine, cosine) pair.

    .. math:: \omega_i = \text{base}^{-2i/d_{model}}, \qquad i = 0, \dots, d_{model}/2 - 1

    from :math:`\omega_0 = 1` (wavelength :math:`2\pi` positions) down to
    :math:`\text{base}^{-(d_{model}-2)/d_{model}}`, which approaches :math:`1/\text{base}`
    (wavelength :math:`2\pi \cdot \text{base}`) as :math:`d_{model}` grows.

    Returns
    -------
    ndarray, shape ``(d_model // 2,)``, float64.
    """
    d_model = positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine/cosine pairs), got {d_model}")
    base = positive_float(base, "base")
    return base ** (-np.arange(0, d_model, 2) / d_model)


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
    positions = np.arange(length)[:, None]
    angles = positions * sinusoidal_frequencies(d_model, base)[None, :]  # (length, d_model/2)
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def sinusoidal_shift_matrix(offset: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""The fixed linear map that moves a sinusoidal encoding ``offset`` positions along.

    Vaswani et al. (2017) chose sinusoids because "for any fixed offset :math:`k`,
    :math:`PE_{p+k}` can be represented as a linear function of :math:`PE_p`". The map is a
    rotation of each (sine, cosine) pair by the angle :math:`k\,\omega_i`,
    :math:`\omega_i = \text{base}^{-2i/d_{model}}`:

    .. math::

        PE_{p+k} = PE_p\, R_k, \qquad
        R_k = \operatorname{diag}_i \begin{pmatrix} \cos k\omega_i & -\sin k\omega_i \\
                                                     \sin k\omega_i & \cos k\omega_i \end{pmatrix}

    for every position :math:`p` (row-vector convention, as ``pe @ R``). ``offset`` may be
    negative; :math:`R_k` does not depend on :math:`p`, and :math:`R_k^\top = R_{-k}`.

    Returns
    -------
    ndarray, shape ``(d_model, d_model)``, float64, block diagonal with 2×2 rotations.
    """
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"offset must be an int, got {type(offset).__name__}")
    d_model = positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine/cosine pairs), got {d_model}")
    angles = int(offset) * sinusoidal_frequencies(d_model, base)
    c, s = np.cos(angles), np.sin(angles)
    r = np.zeros((d_model, d_model))
    r[0::2, 0::2] = np.diag(c)
    r[0::2, 1::2] = np.diag(-s)
    r[1::2, 0::2] = np.diag(s)
    r[1::2, 1::2] = np.diag(c)
    return r
