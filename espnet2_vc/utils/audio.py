"""The one audio reader of the package, its resampler, and the one waveform contract for arrays.

Policy (doc/data.md, doc/reliability.md): any format libsndfile reads; a multi-channel file is averaged to
mono; values are float32 in [-1, 1]; a missing file, a file without samples or with NaN / inf samples is an
:class:`AudioError` naming it and what is wrong. Arrays given in memory (:func:`as_waveform`) follow the same
policy: channels averaged, integer PCM scaled to [-1, 1]. Resampling is soxr's high quality.
"""

from pathlib import Path
from typing import Any, Optional, Tuple, Union

import numpy as np
import soundfile as sf

MAX_CHANNELS = 8  # a 2-D array's channel axis is its shorter one, and no longer than this


class AudioError(ValueError):
    """Audio that cannot be used; ``reason`` is a short tag for reports (``missing``, ``no_samples``,
    ``non_finite``, ``shape``, ``dtype``, ``rate``), the message says which audio and what to do."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def check_finite(wav: np.ndarray, name: str) -> None:
    """Raise :class:`AudioError` (``non_finite``) when ``wav`` holds NaN or inf samples."""
    bad = ~np.isfinite(wav)
    if bad.any():
        raise AudioError("non_finite", f"{name}: {int(bad.sum())} of {wav.size} samples are NaN or inf (the first "
                         f"at sample {int(np.argmax(bad.reshape(-1)))}); repair or re-export the audio")  # fmt: skip


CLIPPED_LEVEL = 0.999  # |sample| at or above this counts as clipped
CLIPPED_WARN_FRACTION = 0.001  # more clipped samples than this is worth a warning (the audio still works)


def clipping(wav: np.ndarray, name: str) -> Optional[str]:
    """A warning text when more than :data:`CLIPPED_WARN_FRACTION` of ``wav``'s samples are clipped, else None."""
    if wav.size == 0:
        return None
    fraction = float(np.mean(np.abs(wav) >= CLIPPED_LEVEL))
    if fraction <= CLIPPED_WARN_FRACTION:
        return None
    return (f"{name}: {100 * fraction:.1f} % of the samples are clipped (|x| >= {CLIPPED_LEVEL}); conversion works, "
            "but the distortion is learned or converted too: record or normalize with headroom")  # fmt: skip


def as_waveform(wav: Any, name: str = "the input") -> np.ndarray:
    """A mono float32 waveform (n,) from an array, by the reader's policy; ``name`` is used in errors.

    Accepts numpy arrays and torch tensors of shape (n,), (n, channels) or (channels, n) (the shorter axis,
    at most :data:`MAX_CHANNELS` long, is averaged); integer PCM is scaled to [-1, 1) (int16 by 32768, …).

    Raises:
        AudioError: No samples, another shape, a non-numeric dtype, or NaN / inf samples.
    """
    if hasattr(wav, "detach"):  # a torch tensor
        wav = wav.detach().cpu().numpy()
    wav = np.asarray(wav)
    if wav.dtype.kind in "iu":
        info = np.iinfo(wav.dtype)
        zero = 0 if wav.dtype.kind == "i" else (int(info.max) + 1) // 2
        wav = (wav.astype(np.float64) - zero) / (int(info.max) + 1 - zero)
    elif wav.dtype.kind != "f":
        raise AudioError("dtype", f"{name}: samples of dtype {wav.dtype}; give float or integer PCM samples")
    if wav.size == 0:
        raise AudioError("no_samples", f"{name}: no samples")
    if wav.ndim == 2:
        axis = int(np.argmin(wav.shape))
        if wav.shape[axis] > MAX_CHANNELS:
            raise AudioError("shape", f"{name}: shape {wav.shape} has no channel axis of at most {MAX_CHANNELS}; "
                             "give (samples,), (samples, channels) or (channels, samples)")  # fmt: skip
        wav = wav.mean(axis=axis)
    elif wav.ndim != 1:
        raise AudioError("shape", f"{name}: shape {wav.shape}; give one utterance as (samples,), "
                         "(samples, channels) or (channels, samples)")  # fmt: skip
    check_finite(wav, name)
    return np.ascontiguousarray(wav, dtype=np.float32)


def check_rate(fs: Any, name: str = "the input") -> int:
    """``fs`` as a positive int; :class:`AudioError` (``rate``) otherwise."""
    if isinstance(fs, bool) or not isinstance(fs, (int, np.integer, float)) or fs <= 0 or int(fs) != fs:
        raise AudioError("rate", f"{name}: sampling rate {fs!r}; give it in Hz as a positive integer")
    return int(fs)


def load_audio(path: Union[str, Path], allow_empty: bool = False) -> Tuple[np.ndarray, int]:
    """A mono float32 waveform (n_samples,) and its sampling rate; channels are averaged.

    Args:
        path: Audio file.
        allow_empty: Return a file without samples as an empty array (the caller skips it with its reason).

    Raises:
        AudioError: The file is missing, holds no samples (unless ``allow_empty``) or NaN / inf samples.
        soundfile.LibsndfileError: libsndfile cannot read it (not audio, truncated, unknown format).
    """
    if not Path(path).is_file():
        raise AudioError("missing", f"{path}: no such file")
    wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if wav.shape[0] == 0 and not allow_empty:
        raise AudioError("no_samples", f"{path}: no samples")
    check_finite(wav, str(path))
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
