"""WORLD analysis shared by the MCD, F0 and duration metrics.

One analysis per waveform gives, on a common frame grid (``frame_period_ms``, 5 ms by default):

- ``f0`` (T,) in Hz, 0 for unvoiced frames: pyworld ``harvest`` (default) or ``dio`` + ``stonemask``;
- ``mcep`` (T, order + 1): pysptk ``sp2mc`` of the WORLD ``cheaptrick`` spectral envelope (floored, see
  below), ``c0`` first;
- ``power_db`` (T,): frame power of the envelope in dB relative to the utterance's mean (linear) frame power.

Before the mel-cepstral analysis the envelope is floored at ``sp_floor_db`` (-80 dB) below its maximum over
the utterance. Without a floor the MCD mostly measures how empty the band near Nyquist is: on ARCTIC, a
16 → 22.05 → 16 kHz resampling round trip alone gives 3.2 dB and a 7-kHz low-pass 15.3 dB; with the floor
0.3 dB and 3.1 dB, while kathleen vs fraser moves from 8.68 to 8.64 dB (4 sentences).

Frames whose ``power_db`` is below ``silence_db`` (-20 dB by default, the rule of sprocket's ``extfrm`` used
in the Voice Conversion Challenge evaluations) are silence: the metrics drop them on both sides before DTW.
The mel-cepstrum order and all-pass constant follow SPTK's recommendations for the sampling rate
(:data:`MCEP_PARAMS`); both can be overridden.
"""

import dataclasses

import numpy as np

# Sampling rate -> (mel-cepstrum order, all-pass constant alpha), SPTK's recommended pairs.
MCEP_PARAMS: dict[int, tuple[int, float]] = {
    8000: (13, 0.31),
    16000: (23, 0.42),
    22050: (34, 0.45),
    24000: (34, 0.46),
    32000: (36, 0.50),
    44100: (39, 0.53),
    48000: (39, 0.55),
}


@dataclasses.dataclass(frozen=True)
class WorldSettings:
    """How waveforms are analysed.

    Attributes:
        frame_period_ms: Frame shift in milliseconds.
        f0_method: ``harvest`` (robust, ~0.5 s per second of audio) or ``dio`` (with ``stonemask``, ~30x faster).
        f0_floor: Lowest F0 searched, Hz.
        f0_ceil: Highest F0 searched, Hz.
        mcep_order: Mel-cepstrum order (``c1 … c_order`` enter the MCD); ``None``: :data:`MCEP_PARAMS`.
        mcep_alpha: All-pass constant; ``None``: :data:`MCEP_PARAMS` (or ``pysptk.util.mcepalpha``).
        silence_db: Frames below this power (dB re. the utterance's mean frame power) are silence.
        sp_floor_db: Envelope floor in dB re. the envelope's maximum over the utterance (``None``: no floor).
    """

    frame_period_ms: float = 5.0
    f0_method: str = "harvest"
    f0_floor: float = 50.0
    f0_ceil: float = 600.0
    mcep_order: int | None = None
    mcep_alpha: float | None = None
    silence_db: float = -20.0
    sp_floor_db: float | None = -80.0

    def __post_init__(self) -> None:
        if self.f0_method not in ("harvest", "dio"):
            raise ValueError(f"f0_method must be 'harvest' or 'dio', got {self.f0_method!r}")
        if not 0 < self.f0_floor < self.f0_ceil:
            raise ValueError(f"need 0 < f0_floor < f0_ceil, got {self.f0_floor} and {self.f0_ceil}")
        if self.frame_period_ms <= 0:
            raise ValueError(f"frame_period_ms must be positive, got {self.frame_period_ms}")


@dataclasses.dataclass
class WorldFeatures:
    """Frame-level features of one waveform.

    Attributes:
        fs: Sampling rate analysed, Hz.
        frame_period_ms: Frame shift, ms.
        f0: F0 (T,) in Hz; 0 marks unvoiced frames.
        mcep: Mel-cepstrum (T, order + 1), ``c0`` in column 0.
        power_db: Frame power (T,) in dB relative to the mean linear frame power.
        alpha: All-pass constant used for ``mcep``.
    """

    fs: int
    frame_period_ms: float
    f0: np.ndarray
    mcep: np.ndarray
    power_db: np.ndarray
    alpha: float

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return len(self.f0)

    def speech_mask(self, silence_db: float) -> np.ndarray:
        """Boolean (T,): frames at or above ``silence_db`` (dB re. mean power)."""
        return self.power_db >= silence_db


def mcep_params(fs: int, order: int | None = None, alpha: float | None = None) -> tuple[int, float]:
    """Mel-cepstrum order and all-pass constant for a sampling rate.

    Args:
        fs: Sampling rate, Hz.
        order: Explicit order (kept when given).
        alpha: Explicit all-pass constant (kept when given).

    Returns:
        ``(order, alpha)``: from :data:`MCEP_PARAMS` for the listed rates; otherwise the order of the nearest
        listed rate not above ``fs`` and ``pysptk.util.mcepalpha(fs)``.
    """
    if fs in MCEP_PARAMS:
        default_order, default_alpha = MCEP_PARAMS[fs]
    else:
        import pysptk

        lower = [rate for rate in MCEP_PARAMS if rate <= fs] or [min(MCEP_PARAMS)]
        default_order = MCEP_PARAMS[max(lower)][0]
        default_alpha = float(pysptk.util.mcepalpha(fs))
    return (default_order if order is None else int(order)), (default_alpha if alpha is None else float(alpha))


def frame_power_db(sp: np.ndarray) -> np.ndarray:
    """Frame power of a one-sided power spectrum, in dB relative to the mean linear frame power.

    Args:
        sp: Power spectral envelope (T, fft_size // 2 + 1).

    Returns:
        Power (T,) in dB; the mean of ``10 ** (power_db / 10)`` over frames is 1.
    """
    # Mean of the full (two-sided) spectrum: the end bins once, the others twice.
    n_fft = 2 * (sp.shape[1] - 1)
    power = (sp[:, 0] + sp[:, -1] + 2.0 * sp[:, 1:-1].sum(axis=1)) / n_fft
    power = np.maximum(power, 1e-30)
    return 10.0 * np.log10(power / power.mean())


def analyze(wav: np.ndarray, fs: int, settings: WorldSettings) -> WorldFeatures:
    """Run WORLD on one waveform.

    Args:
        wav: Waveform (n_samples,) in [-1, 1].
        fs: Its sampling rate, Hz.
        settings: Analysis settings.

    Returns:
        The features; ``T = 1 + floor(1000 * n_samples / fs / frame_period_ms)``.

    Raises:
        ValueError: The waveform is empty or silent (all zeros).
    """
    import pysptk
    import pyworld

    x = np.ascontiguousarray(wav, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"expected a non-empty mono waveform, got shape {x.shape}")
    if not np.any(x):
        raise ValueError("the waveform is all zeros")
    kw = {"f0_floor": settings.f0_floor, "f0_ceil": settings.f0_ceil, "frame_period": settings.frame_period_ms}
    if settings.f0_method == "harvest":
        f0, t = pyworld.harvest(x, fs, **kw)
    else:
        f0, t = pyworld.dio(x, fs, **kw)
        f0 = pyworld.stonemask(x, f0, t, fs)
    sp = pyworld.cheaptrick(x, f0, t, fs, f0_floor=settings.f0_floor)
    power_db = frame_power_db(sp)  # before the floor, so silence stays silence
    if settings.sp_floor_db is not None:
        sp = np.maximum(sp, sp.max() * 10.0 ** (settings.sp_floor_db / 10.0))
    order, alpha = mcep_params(fs, settings.mcep_order, settings.mcep_alpha)
    mcep = pysptk.sp2mc(sp, order=order, alpha=alpha)
    return WorldFeatures(
        fs=int(fs),
        frame_period_ms=float(settings.frame_period_ms),
        f0=np.asarray(f0, dtype=np.float64),
        mcep=np.asarray(mcep, dtype=np.float64),
        power_db=power_db,
        alpha=alpha,
    )
