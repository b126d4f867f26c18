"""F0 metrics on a DTW path between a converted and a target utterance.

The path is the one the MCD uses (:func:`espnet2_vc.evaluate.mcd.align`: speech frames, mel-cepstral DTW),
so every metric of an utterance compares the same frame pairs. Over the ``L`` path cells ``(i, j)``:

- **F0 RMSE** (Hz): ``sqrt(mean((f0_conv[i] - f0_tgt[j]) ** 2))`` over the cells voiced on both sides;
- **F0 correlation**: Pearson's r of ``f0_conv[i]`` and ``f0_tgt[j]`` over the same cells;
- **V/UV error** (%): share of the ``L`` cells where one side is voiced and the other is not.
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class F0Result:
    """F0 metrics of one utterance.

    Attributes:
        rmse_hz: F0 RMSE over cells voiced on both sides, Hz (NaN when there are none).
        corr: Pearson correlation over those cells (NaN with fewer than 2 or a constant side).
        vuv_error: Share of path cells with a voicing mismatch, in [0, 1].
        n_voiced: Path cells voiced on both sides.
        n_cells: Path cells.
    """

    rmse_hz: float
    corr: float
    vuv_error: float
    n_voiced: int
    n_cells: int


def f0_metrics(f0_converted: np.ndarray, f0_target: np.ndarray, path: np.ndarray) -> F0Result:
    """F0 RMSE, correlation and V/UV error along a path.

    Args:
        f0_converted: Converted F0 (Tc,), Hz, 0 = unvoiced.
        f0_target: Target F0 (Tt,), Hz, 0 = unvoiced.
        path: Path (L, 2) of ``(converted, target)`` frame indices.

    Returns:
        The metrics.
    """
    a = np.asarray(f0_converted, dtype=np.float64)[path[:, 0]]
    b = np.asarray(f0_target, dtype=np.float64)[path[:, 1]]
    voiced_a, voiced_b = a > 0, b > 0
    both = voiced_a & voiced_b
    n = int(both.sum())
    rmse = float(np.sqrt(np.mean((a[both] - b[both]) ** 2))) if n else math.nan
    corr = math.nan
    if n >= 2 and np.std(a[both]) > 0 and np.std(b[both]) > 0:
        corr = float(np.corrcoef(a[both], b[both])[0, 1])
    return F0Result(
        rmse_hz=rmse,
        corr=corr,
        vuv_error=float(np.mean(voiced_a != voiced_b)) if len(path) else math.nan,
        n_voiced=n,
        n_cells=len(path),
    )
