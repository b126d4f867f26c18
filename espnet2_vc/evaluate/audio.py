"""Evaluation inputs: audio at its own sampling rate, resampling, ``<utt> <value>`` files."""

from pathlib import Path

import numpy as np
import soundfile as sf

from espnet2_vc.durations.extract import read_scp

__all__ = ["load_wav", "read_scp", "read_utt_values", "resample"]


def load_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as a mono float64 waveform.

    Args:
        path: Audio file (any format libsndfile reads: wav, flac, …).

    Returns:
        Tuple of the waveform (n_samples,) in [-1, 1] (first channel of a multi-channel file) and its rate.

    Raises:
        ValueError: The file holds no samples.
        soundfile.LibsndfileError, OSError: The file is missing or unreadable.
    """
    wav, fs = sf.read(str(path), dtype="float64", always_2d=True)
    if wav.shape[0] == 0:
        raise ValueError(f"{path}: no samples")
    return np.ascontiguousarray(wav[:, 0]), int(fs)


def resample(wav: np.ndarray, fs_in: int, fs_out: int) -> np.ndarray:
    """Resample with soxr (high quality); returns ``wav`` itself when the rates match.

    Args:
        wav: Waveform (n_samples,).
        fs_in: Its sampling rate.
        fs_out: The wanted rate.

    Returns:
        Waveform (round(n_samples * fs_out / fs_in),), float64.
    """
    if fs_in == fs_out:
        return wav
    import soxr

    return np.asarray(soxr.resample(wav, fs_in, fs_out), dtype=np.float64)


def read_utt_values(path: str | Path) -> dict[str, str]:
    """Read a ``<utt> <value>`` file whose value may contain spaces (``text``, ``utt2spk``, ``rtf``).

    Args:
        path: The file.

    Returns:
        Mapping utt id → value (stripped; an id alone on its line maps to ``""``).

    Raises:
        ValueError: A duplicate utterance id, with the file and line.
    """
    out: dict[str, str] = {}
    with Path(path).open("r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            if parts[0] in out:
                raise ValueError(f"{path}:{lineno}: duplicate utterance id {parts[0]}")
            out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out
