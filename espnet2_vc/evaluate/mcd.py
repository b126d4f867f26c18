"""Mel-cepstral distortion (MCD) between a converted and a target utterance.

For mel-cepstra ``c`` (converted) and ``c'`` (target) of one aligned frame pair,

    MCD = 10 / ln(10) * sqrt(2 * sum_{d=1}^{D} (c_d - c'_d) ** 2)   [dB]

with ``c0`` (frame energy) left out and ``D`` the mel-cepstrum order (:mod:`espnet2_vc.evaluate.world`).
The utterance's MCD is the mean over the cells of a DTW path. The path is computed on the speech frames of
both sides (silence below the power threshold is dropped first, see :mod:`~espnet2_vc.evaluate.world`) with
the Euclidean distance between ``c1 … cD`` as local cost, by :func:`espnet2_vc.durations.dtw.dtw_path`
(steps (1, 1), (1, 0), (0, 1), all of weight 1 — the pattern of fastdtw and librosa). Since the local cost is
proportional to the frame MCD, the path is the one of least total distortion.
"""

import dataclasses
import math

import numpy as np

from espnet2_vc.durations.dtw import distance_matrix, dtw_path
from espnet2_vc.evaluate.world import WorldFeatures

# Frame MCD per unit of Euclidean cepstral distance: 10 / ln(10) * sqrt(2).
MCD_SCALE = 10.0 / math.log(10.0) * math.sqrt(2.0)


class MetricError(ValueError):
    """A metric cannot be computed for this utterance (the message says why)."""


@dataclasses.dataclass
class Alignment:
    """A DTW path between two utterances' speech frames.

    Attributes:
        path: Path (L, 2) of ``(converted frame, target frame)`` indices into the full frame sequences.
        frame_mcd: MCD of each path cell (L,), dB.
        n_speech: Speech frames ``(converted, target)`` the DTW ran on.
    """

    path: np.ndarray
    frame_mcd: np.ndarray
    n_speech: tuple[int, int]

    @property
    def mcd(self) -> float:
        """Mean MCD over the path, dB."""
        return float(self.frame_mcd.mean())


def frame_mcd(mcep_a: np.ndarray, mcep_b: np.ndarray) -> np.ndarray:
    """MCD of aligned frame pairs, ``c0`` excluded.

    Args:
        mcep_a: Mel-cepstra (L, D + 1), ``c0`` first.
        mcep_b: Mel-cepstra (L, D + 1) of the same shape.

    Returns:
        MCD (L,) in dB.
    """
    diff = np.asarray(mcep_a, dtype=np.float64)[:, 1:] - np.asarray(mcep_b, dtype=np.float64)[:, 1:]
    return MCD_SCALE * np.sqrt((diff**2).sum(axis=1))


def align(converted: WorldFeatures, target: WorldFeatures, silence_db: float) -> Alignment:
    """DTW between the speech frames of two analysed utterances.

    Args:
        converted: Features of the converted (or any hypothesis) utterance.
        target: Features of the reference utterance, same ``fs``, frame period and order.
        silence_db: Silence threshold in dB re. each utterance's mean frame power.

    Returns:
        The alignment and its per-cell MCD.

    Raises:
        MetricError: Mismatched analysis settings, or fewer than 2 speech frames on a side.
    """
    if (converted.fs, converted.frame_period_ms, converted.mcep.shape[1]) != (
        target.fs,
        target.frame_period_ms,
        target.mcep.shape[1],
    ):
        raise MetricError(
            f"analysis mismatch: fs {converted.fs}/{target.fs}, frame period "
            f"{converted.frame_period_ms}/{target.frame_period_ms} ms, order "
            f"{converted.mcep.shape[1] - 1}/{target.mcep.shape[1] - 1}"
        )
    idx_c = np.flatnonzero(converted.speech_mask(silence_db))
    idx_t = np.flatnonzero(target.speech_mask(silence_db))
    for name, idx in (("converted", idx_c), ("target", idx_t)):
        if len(idx) < 2:
            raise MetricError(f"{name} has {len(idx)} frame(s) above the silence threshold ({silence_db} dB)")
    mc_c = converted.mcep[idx_c]
    mc_t = target.mcep[idx_t]
    dist = distance_matrix(mc_c[:, 1:], mc_t[:, 1:])
    sub_path = dtw_path(dist)
    path = np.stack([idx_c[sub_path[:, 0]], idx_t[sub_path[:, 1]]], axis=1)
    return Alignment(
        path=path,
        frame_mcd=MCD_SCALE * dist[sub_path[:, 0], sub_path[:, 1]],
        n_speech=(len(idx_c), len(idx_t)),
    )


def mel_cepstral_distortion(converted: WorldFeatures, target: WorldFeatures, silence_db: float = -20.0) -> float:
    """The utterance MCD in dB (see the module docstring).

    Args:
        converted: Features of the converted utterance.
        target: Features of the target utterance.
        silence_db: Silence threshold in dB re. each utterance's mean frame power.

    Returns:
        Mean MCD over the DTW path, dB.
    """
    return align(converted, target, silence_db).mcd
