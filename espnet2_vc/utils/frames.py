"""The frame and reduction-length contract (doc/data.md), defined once for ints, numpy and torch.

A centered STFT of ``n`` samples has ``1 + n // hop`` frames. With reduction factor ``r`` a source of ``T``
frames becomes ``T // r`` reduced frames (its tail is dropped) and a target ``ceil(T / r)`` (its tail is
kept: a partial last group is the mean of the frames it has; network outputs are trimmed back to ``T``).
The functions work on Python ints, numpy arrays and integer torch tensors alike (only ``//`` and ``-``).
"""

from typing import TypeVar

N = TypeVar("N")


def num_frames(num_samples: N, hop_length: int) -> N:
    """Frames of a centered STFT (espnet ``LogMelFbank`` with ``center: true``): ``1 + n // hop``."""
    return 1 + num_samples // hop_length


def reduced_source_length(frames: N, r: int) -> N:
    """Reduced source length ``T // r``."""
    _check(r)
    return frames // r


def reduced_target_length(frames: N, r: int) -> N:
    """Reduced target length ``ceil(T / r)``."""
    _check(r)
    return -(-frames // r)


def _check(r: int) -> None:
    if r < 1:
        raise ValueError(f"reduction factor must be >= 1, got {r}")
