"""Generated speech-like signals for the metric tests (no recordings needed)."""

from collections.abc import Callable

import numpy as np
import pytest

FS = 16000


def make_speechlike(
    seconds: float = 1.2,
    fs: int = FS,
    f0_scale: float = 1.0,
    stretch: float = 1.0,
    formant_scale: float = 1.0,
    pad_s: tuple[float, float] = (0.0, 0.0),
    seed: int = 0,
) -> np.ndarray:
    """Harmonic signal with a gliding F0, moving formants and a pause in the middle.

    Every track is a function of normalised time, so ``stretch`` says the same thing slower and ``f0_scale``
    changes the pitch without moving the spectral envelope (harmonic amplitudes follow the formants).
    ``pad_s`` adds exact digital silence before and after.
    """
    n = round(seconds * stretch * fs)
    u = np.arange(n) / n
    rng = np.random.default_rng(seed)
    n_seg = max(2, int(seconds * 8))
    knots = np.linspace(0.0, 1.0, n_seg + 1)
    f1 = np.interp(u, knots, rng.uniform(300, 900, n_seg + 1)) * formant_scale
    f2 = np.interp(u, knots, rng.uniform(900, 2600, n_seg + 1)) * formant_scale
    f0 = (130 + 40 * np.sin(2 * np.pi * 1.3 * u * seconds)) * f0_scale
    phase = 2 * np.pi * np.cumsum(f0) / fs
    wav = np.zeros(n)
    for k in range(1, int(0.45 * fs / f0.min())):
        fk = k * f0
        amp = np.exp(-(((fk - f1) / 150) ** 2)) + 0.6 * np.exp(-(((fk - f2) / 200) ** 2)) + 0.03
        wav += amp * np.sin(k * phase) * (fk < 0.45 * fs)
    wav *= np.where((u > 0.45) & (u < 0.52), 0.0, 1.0)  # a pause
    wav = 0.1 * wav / np.abs(wav).max()
    return np.concatenate([np.zeros(round(pad_s[0] * fs)), wav, np.zeros(round(pad_s[1] * fs))])


@pytest.fixture(scope="session")
def speechlike() -> Callable[..., np.ndarray]:
    """:func:`make_speechlike`."""
    return make_speechlike
