"""Edge-silence trimming: stage 2 dumps with it, ``VoiceConverter`` converts a wav with it (the same settings,
``trim_conf`` of the VC training config; doc/data.md)."""

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np


@dataclass(frozen=True)
class TrimSettings:
    """Edge-silence trimming: of stage 2's dump, and of a wav converted by ``VoiceConverter`` (same settings).

    They live in the VC training config as ``trim_conf`` (the one place), so a model converts what it was
    trained on. Attributes:
        trim: Trim leading and trailing silence.
        trim_db: A frame is silent when its power is this many dB below the utterance's loudest frame. 30 dB
            (not 40) also removes the noisy lead-ins of some ARCTIC recordings (doc/data.md).
        trim_margin: Seconds of audio kept on each side of the first / last non-silent frame.
    """

    trim: bool = True
    trim_db: float = 30.0
    trim_margin: float = 0.05

    @classmethod
    def from_conf(cls, conf: Optional[Dict[str, Any]], source: str = "trim_conf") -> "TrimSettings":
        """Settings from a ``trim_conf`` dict (None or {}: the defaults); an unknown key is an error."""
        conf = dict(conf or {})
        unknown = sorted(set(conf) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"{source}: unknown key(s) {unknown}; accepted: trim, trim_db, trim_margin")
        return cls(**conf)

    @classmethod
    def from_config(cls, vc_config: Union[str, Path]) -> "TrimSettings":
        """``trim_conf`` of a VC training config (yaml read directly: no espnet import)."""
        from espnet2_vc.utils.config import load_config

        return cls.from_conf(load_config(vc_config).get("trim_conf"), f"{vc_config}: trim_conf")

    def bounds(self, wav: np.ndarray, fs: int) -> Tuple[int, int]:
        """``(start, end)`` of ``wav`` without its edge silence (the whole signal when ``trim`` is off)."""
        return trim_edges(wav, fs, self.trim_db, self.trim_margin) if self.trim else (0, len(wav))


def trim_edges(wav: np.ndarray, fs: int, trim_db: float, margin: float) -> Tuple[int, int]:
    """Bounds ``(start, end)`` of ``wav`` without its leading and trailing silence.

    Frames of 25 ms (10 ms hop) are silent when their mean power is more than ``trim_db`` dB below the
    loudest frame. Only the silence before the first and after the last non-silent frame is cut, and
    ``margin`` seconds are kept on each side. A silent or empty signal gives ``(0, 0)``.

    Args:
        wav: Waveform (T,).
        fs: Sampling rate (Hz).
        trim_db: Silence threshold relative to the loudest frame (dB, positive).
        margin: Seconds kept around the speech on each side.

    Returns:
        Sample indices, ``wav[start:end]`` is the trimmed signal.
    """
    n = len(wav)
    frame = max(1, int(round(0.025 * fs)))
    hop = max(1, int(round(0.010 * fs)))
    if n == 0:
        return 0, 0
    padded = wav if n >= frame else np.pad(wav, (0, frame - n))
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop]
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    peak = float(power.max())
    if peak <= 0.0:
        return 0, 0
    active = np.nonzero(power > peak * 10.0 ** (-trim_db / 10.0))[0]
    pad = int(round(margin * fs))
    start = max(0, int(active[0]) * hop - pad)
    end = min(n, int(active[-1]) * hop + frame + pad)
    return start, end
