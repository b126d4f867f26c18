"""Small audio helpers shared by the command-line tools."""

from pathlib import Path
from typing import List, Tuple, Union

import numpy as np
import soundfile as sf


def read_audio(path: Union[str, Path], fs: int) -> np.ndarray:
    """Read a mono float32 waveform (channels averaged) at ``fs``, resampled with soxr when needed."""
    wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    wav = wav.mean(axis=1)
    if rate != fs:
        import soxr

        wav = soxr.resample(wav, rate, fs, quality="HQ")
    return np.ascontiguousarray(wav, dtype=np.float32)


def scp_entries(scp: Union[str, Path], n: int) -> List[Tuple[str, str]]:
    """The first ``n`` ``(utt id, value)`` pairs of a Kaldi-style file (lines without a value are passed over)."""
    out = []
    with open(scp, encoding="utf-8") as f:
        for line in f:
            if len(out) >= n:
                break
            parts = line.strip().split(maxsplit=1)
            if len(parts) == 2:
                out.append((parts[0], parts[1]))
    return out


def first_scp_path(scp: Union[str, Path]) -> str:
    """The path on the first line of a ``utt path`` scp file."""
    entries = scp_entries(scp, 1)
    if not entries:
        raise ValueError(f"{scp}: no 'utt_id path' line; is it an empty data dir?")
    return entries[0][1]
