"""The one audio reader of the package, and its resampler.

Policy (doc/data.md): any format libsndfile reads; a multi-channel file is averaged to mono; a file without
samples is an error naming it; values are float32 in [-1, 1]. Resampling is soxr's high quality.
"""

from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
import soundfile as sf


def load_audio(path: Union[str, Path], allow_empty: bool = False) -> Tuple[np.ndarray, int]:
    """A mono float32 waveform (n_samples,) and its sampling rate; channels are averaged.

    Args:
        path: Audio file.
        allow_empty: Return a file without samples as an empty array (the caller skips it with its reason).

    Raises:
        ValueError: The file holds no samples (unless ``allow_empty``).
        soundfile.LibsndfileError, OSError: The file is missing or unreadable.
    """
    wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if wav.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{path}: no samples")
    return np.ascontiguousarray(wav.mean(axis=1), dtype=np.float32), int(rate)


def resample(wav: np.ndarray, fs_in: int, fs_out: int) -> np.ndarray:
    """``wav`` (n,) from ``fs_in`` to ``fs_out`` (soxr, high quality); ``wav`` itself when the rates match."""
    if fs_in == fs_out or len(wav) == 0:
        return wav
    import soxr

    return np.asarray(soxr.resample(wav, fs_in, fs_out, quality="HQ"), dtype=wav.dtype)


def read_audio(path: Union[str, Path], fs: Optional[int] = None, allow_empty: bool = False) -> np.ndarray:
    """A mono float32 waveform of ``path`` (see :func:`load_audio`), resampled to ``fs`` when given and different."""
    wav, rate = load_audio(path, allow_empty)
    return np.ascontiguousarray(resample(wav, rate, fs if fs is not None else rate), dtype=np.float32)
