"""Spectral features used only to align a source and a target utterance.

The features are mel-frequency cepstra without ``c0`` (so loudness does not dominate the distance), with
the utterance mean removed (so a constant difference in spectral tilt between two speakers does not
either). Frames follow the contract of doc/data.md: a centered STFT with ``1 + n_samples // hop_length``
frames, the same count as the network's ``LogMelFbank`` features, then reduced by ``r`` with mean pooling
(source: tail dropped, ``Ns = n // r``; target: a partial last group averaged, ``Nt = ceil(n / r)``).
"""

import functools
import warnings

import librosa
import numpy as np
import scipy.fft

from espnet2_vc.utils.frames import num_frames, reduced_source_length, reduced_target_length


@functools.lru_cache(maxsize=16)
def _mel_basis(fs: int, n_fft: int, n_bands: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Mel filterbank (n_bands, n_fft // 2 + 1), cached per setting."""
    return librosa.filters.mel(sr=fs, n_fft=n_fft, n_mels=n_bands, fmin=fmin, fmax=fmax).astype(np.float64)


def alignment_features(
    wav: np.ndarray,
    fs: int,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    fmin: float = 0.0,
    fmax: float | None = None,
    n_bands: int = 40,
    n_ceps: int = 20,
    floor_db: float = -80.0,
) -> np.ndarray:
    """Mean-normalised mel cepstra ``c1 … c{n_ceps}`` of one waveform.

    Args:
        wav: Mono waveform (n_samples,).
        fs: Sampling rate of ``wav`` in Hz.
        n_fft: FFT size (from the VC config's mel settings).
        hop_length: Hop in samples (from the VC config).
        win_length: Window length in samples; ``None`` means ``n_fft``.
        fmin: Lowest mel band edge in Hz; ``None`` is read as 0.
        fmax: Highest mel band edge in Hz; ``None`` means ``fs / 2``.
        n_bands: Mel bands the cepstrum is computed from (independent of the network's ``n_mels``).
        n_ceps: Cepstral coefficients kept after dropping ``c0``; at most ``n_bands - 1``.
        floor_db: Power floor relative to the loudest bin of the utterance, so silence is one flat spectrum.

    Returns:
        Features (n_frames, n_ceps) with ``n_frames = 1 + n_samples // hop_length``.
    """
    if wav.ndim != 1:
        raise ValueError(f"expected a mono waveform (n_samples,), got shape {wav.shape}")
    if n_fft % 2:
        raise ValueError(f"n_fft={n_fft} must be even: a centered STFT with an odd n_fft breaks the frame count")
    if n_ceps >= n_bands:
        raise ValueError(f"n_ceps={n_ceps} must be smaller than n_bands={n_bands}")
    with warnings.catch_warnings():  # librosa warns when n_fft exceeds a (short, zero-padded) signal
        warnings.simplefilter("ignore", UserWarning)
        spec = librosa.stft(
            np.asarray(wav, dtype=np.float32),
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            center=True,
            pad_mode="constant",
        )
    expected = num_frames(len(wav), hop_length)
    assert spec.shape[1] == expected, f"STFT gave {spec.shape[1]} frames, expected {expected}"
    power = np.abs(spec).astype(np.float64) ** 2
    mel = _mel_basis(int(fs), int(n_fft), int(n_bands), float(fmin or 0.0), None if fmax is None else float(fmax))
    mel_power = mel @ power  # (n_bands, n_frames)
    floor = max(float(mel_power.max()), 1e-20) * 10.0 ** (floor_db / 10.0)
    log_mel = np.log(np.maximum(mel_power, floor))
    ceps = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=0)[1 : n_ceps + 1].T  # (n_frames, n_ceps)
    return np.ascontiguousarray(ceps - ceps.mean(axis=0, keepdims=True))


def reduced_lengths(n_src_frames: int, n_tgt_frames: int, r: int) -> tuple[int, int]:
    """Reduced lengths ``(Ns, Nt)`` of a pair (:mod:`espnet2_vc.utils.frames`)."""
    return reduced_source_length(n_src_frames, r), reduced_target_length(n_tgt_frames, r)


def reduce_frames(feats: np.ndarray, r: int, pad: bool) -> np.ndarray:
    """Mean-pool groups of ``r`` frames.

    Args:
        feats: Frames (T, D).
        r: Reduction factor.
        pad: Target side: keep a partial last group, averaged over the frames it has. Source side
            (``False``): drop the last ``T % r`` frames. The same contract as the network's
            :func:`espnet2_vc.vc.reduction.pool_frames`.

    Returns:
        Pooled frames (T // r, D) for sources or (ceil(T / r), D) for targets.
    """
    if r == 1:
        return feats
    t, d = feats.shape
    n = reduced_target_length(t, r) if pad else reduced_source_length(t, r)
    full = min(t, n * r) // r * r
    pooled = feats[:full].reshape(-1, r, d).mean(axis=1)
    if n * r > t:  # a partial target group: the mean of its real frames
        pooled = np.concatenate([pooled, feats[full:].mean(axis=0, keepdims=True)], axis=0)
    return pooled
