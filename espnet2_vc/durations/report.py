"""What a durations file says about its alignments: counts of zero and very long durations, and plots.

A duration is the number of (reduced) target frames aligned to one (reduced) source frame. Many zeros mean
source frames the target skips (the duration predictor then learns to delete); long runs mean one source
frame stretched over many target frames (the decoder then averages over a whole span). ``duration_stats``
counts both; ``plot_alignment`` draws one pair's path over the distance of its two spectrograms.
"""

from pathlib import Path
from typing import Dict

import numpy as np

from espnet2_vc.durations.features import reduce_frames


def zero_runs(d: np.ndarray) -> np.ndarray:
    """Lengths of the runs of consecutive zeros in ``d`` (N,)."""
    padded = np.concatenate([[1], d, [1]]) != 0
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[1::2] - edges[::2]


def duration_stats(durations: Dict[str, np.ndarray], long: int = 4) -> Dict[str, float]:
    """Summary over a set.

    Args:
        durations: Utterance id → durations (N_src,).
        long: A duration ≥ this many reduced target frames counts as long.

    Returns:
        ``utterances``, ``source_frames``, ``zero_fraction`` (of source frames), ``long_fraction``,
        ``target_in_long`` (fraction of target frames that sit in long spans), ``max_duration``,
        ``mean_longest_zero_run`` and ``max_zero_run`` (source frames), ``mean_duration``.
    """
    if not durations:
        raise ValueError("no durations to summarize")
    every = np.concatenate(list(durations.values()))
    runs = [zero_runs(d) for d in durations.values()]
    longest = [int(r.max()) if len(r) else 0 for r in runs]
    return {
        "utterances": len(durations),
        "source_frames": int(every.size),
        "mean_duration": float(every.mean()),
        "zero_fraction": float(np.mean(every == 0)),
        "long_fraction": float(np.mean(every >= long)),
        "target_in_long": float(every[every >= long].sum() / max(1, every.sum())),
        "max_duration": int(every.max()),
        "mean_longest_zero_run": float(np.mean(longest)),
        "max_zero_run": int(max(longest)),
    }


def plot_alignment(
    path: Path, src_mel: np.ndarray, tgt_mel: np.ndarray, durations: np.ndarray, r: int, title: str
) -> None:
    """Write a PNG: the alignment path over the distance matrix, with the source mel left, the target below.

    Args:
        path: Output PNG.
        src_mel: Source log-mel (T_src, n_mels).
        tgt_mel: Target log-mel (T_tgt, n_mels).
        durations: Reduced target frames per reduced source frame (T_src // r,).
        r: Reduction factor.
        title: Figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    src, tgt = reduce_frames(src_mel, r, pad=False), reduce_frames(tgt_mel, r, pad=True)  # as stage 4 aligns them

    def unit(x: np.ndarray) -> np.ndarray:
        x = (x - x.mean(0)) / (x.std(0) + 1e-5)
        return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-8)

    dist = 1.0 - unit(src) @ unit(tgt).T  # (N_src, N_tgt) cosine distance
    ends = np.cumsum(durations)
    fig = plt.figure(figsize=(10, 8))
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 5), height_ratios=(5, 1), wspace=0.03, hspace=0.03)
    ax = fig.add_subplot(grid[0, 1])
    ax.imshow(dist, origin="lower", aspect="auto", cmap="gray_r", interpolation="nearest")
    for i, (d, end) in enumerate(zip(durations, ends)):
        if d > 0:
            ax.plot([end - d - 0.5, end - 0.5], [i, i], color="red", linewidth=2)
        else:
            ax.plot([end - 0.5], [i], "x", color="orange", markersize=3)
    ax.set_title(f"{title}: red = target span of each source frame, orange x = duration 0")
    ax.set_xticks([])
    ax.set_yticks([])
    left = fig.add_subplot(grid[0, 0], sharey=ax)
    left.imshow(src, origin="lower", aspect="auto", cmap="magma")
    left.set_ylabel(f"source frames (/{r})")
    left.set_xticks([])
    bottom = fig.add_subplot(grid[1, 1], sharex=ax)
    bottom.imshow(tgt.T, origin="lower", aspect="auto", cmap="magma")
    bottom.set_xlabel(f"target frames (/{r})")
    bottom.set_yticks([])
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
