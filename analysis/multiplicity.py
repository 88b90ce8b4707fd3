"""Multiplicity control: Holm (1979) step-down adjusted p-values, one implementation for the package.

Every family of tests in the study (correlation changes, Granger pairs, stress years, beta
shifts, event windows, AI-news comparisons) is adjusted with :func:`holm`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["holm"]


def holm(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Holm-adjusted p-values over the finite entries; NaN entries stay NaN and do not count.

    Parameters
    ----------
    p
        Raw p-values (any 1-D array-like; a Series is read by position).

    Returns
    -------
    np.ndarray
        ``p_(i) -> max_{j <= i} min(1, (m - j + 1) p_(j))`` over the ``m`` finite p-values
        sorted ascending, in the input order.

    Notes
    -----
    Equal to ``statsmodels.stats.multitest.multipletests(method="holm")`` (tests check it);
    hand-written because that branch runs ``gc.collect()`` on every call (0.05-0.7 s each in a
    notebook kernel full of objects, and a report makes dozens of calls).
    """
    arr = np.asarray(p, dtype=np.float64).ravel()
    out = np.full(arr.shape, np.nan)
    fin = np.flatnonzero(np.isfinite(arr))
    if fin.size:
        order = fin[np.argsort(arr[fin], kind="stable")]
        m = order.size
        scaled = np.minimum(1.0, arr[order] * np.arange(m, 0, -1))
        out[order] = np.maximum.accumulate(scaled)
    return out
