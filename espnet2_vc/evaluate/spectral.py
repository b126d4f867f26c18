"""Log-spectral distance (LSD) between a reference waveform and its re-synthesis (a vocoder's measure)."""

from typing import Tuple

import numpy as np


def log_spectral_distance(
    ref: np.ndarray, hyp: np.ndarray, fs: int, n_fft: int = 1024, band: Tuple[float, float] = (80.0, 7600.0)
) -> float:
    """LSD in dB: the mean over frames of the rms over bins (within ``band``, Hz) of the log-power gap.

    Both waveforms (n_samples,) are cut to the shorter one; the STFT is Hann, ``n_fft`` / ``n_fft // 4``, centred.
    """
    import torch

    n = min(len(ref), len(hyp))
    window = torch.hann_window(n_fft, dtype=torch.float64)

    def power(x: np.ndarray) -> "torch.Tensor":
        wav = torch.from_numpy(np.ascontiguousarray(x[:n], dtype=np.float64))
        return torch.stft(wav, n_fft, n_fft // 4, window=window, return_complex=True).abs() ** 2

    gap = 10 * torch.log10(power(ref) + 1e-8) - 10 * torch.log10(power(hyp) + 1e-8)
    freqs = torch.arange(gap.size(0)) * fs / n_fft
    gap = gap[(freqs >= band[0]) & (freqs <= band[1])]
    return float(gap.pow(2).mean(0).sqrt().mean())
