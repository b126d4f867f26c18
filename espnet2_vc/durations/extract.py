"""Durations for every pair of a source and a target ``wav.scp`` (stage 4 of the recipe driver).

Writes ``<output_dir>/durations`` (``<utt> d_1 … d_Ns``, sorted by utt id) and ``<output_dir>/skipped``
(``<utt> <reason>: <detail>``). Each file is written to a temporary name and renamed when complete, so an
interrupted run never leaves a half-written file under the final name.
"""

import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from espnet2_vc.durations.dtw import align_waveforms, check_durations, warmup
from espnet2_vc.durations.features import reduced_lengths
from espnet2_vc.utils.audio import load_audio as read_waveform
from espnet2_vc.utils.config import mel_config, reduction_factor
from espnet2_vc.utils.frames import num_frames
from espnet2_vc.utils.kaldi import read_scp
from espnet2_vc.utils.progress import progress

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class AlignSettings:
    """What the alignment needs from the VC config (mel settings and reduction factor).

    Attributes:
        fs: Sampling rate every audio file must have.
        n_fft: FFT size.
        hop_length: Hop in samples.
        win_length: Window length in samples.
        fmin: Lowest mel frequency (``None``: 0).
        fmax: Highest mel frequency (``None``: ``fs / 2``).
        reduction_factor: Frames per reduced frame.
        max_length_ratio: Pairs whose reduced lengths differ by more than this factor are skipped.
    """

    fs: int
    n_fft: int
    hop_length: int
    win_length: int | None
    fmin: float | None
    fmax: float | None
    reduction_factor: int
    max_length_ratio: float = 4.0

    @classmethod
    def from_config(cls, config: str | Path | dict, max_length_ratio: float | None = None) -> "AlignSettings":
        """The settings of a VC config (its mel settings and reduction factor, never retyped)."""
        mel = mel_config(config)
        return cls(
            fs=int(mel["fs"]), n_fft=int(mel["n_fft"]), hop_length=int(mel["hop_length"]),
            win_length=int(mel["win_length"]), fmin=mel.get("fmin"), fmax=mel.get("fmax"),
            reduction_factor=reduction_factor(config),
            max_length_ratio=cls.max_length_ratio if max_length_ratio is None else max_length_ratio,
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class PairResult:
    """Outcome for one utterance: ``durations`` (Ns,) or a ``skip`` reason (``<code>: <detail>``)."""

    utt_id: str
    durations: np.ndarray | None = None
    skip: str | None = None


class SampleRateError(ValueError):
    """An audio file's sampling rate differs from the VC config's ``fs``."""


def load_audio(path: str, fs: int) -> np.ndarray:
    """Mono float waveform (n_samples,) of ``path``; ``SampleRateError`` unless it is sampled at ``fs``."""
    wav, rate = read_waveform(path, allow_empty=True)  # skipped as "empty" by length_skip
    if rate != fs:
        raise SampleRateError(
            f"{path}: sampling rate {rate} Hz, but the VC config has fs={fs}; resample the data "
            f"(stage 2, espnet2_vc.bin.vc_dump --fs {fs}) and point the scp files at dump/raw/<set>"
        )
    return wav


def length_skip(n_src_samples: int, n_tgt_samples: int, settings: AlignSettings) -> str | None:
    """Skip reason for a pair from its sample counts alone, or ``None`` if it can be aligned."""
    if n_src_samples == 0 or n_tgt_samples == 0:
        side = "source" if n_src_samples == 0 else "target"
        return f"empty: {side} audio has no samples"
    r = settings.reduction_factor
    n_src = num_frames(n_src_samples, settings.hop_length)
    n_tgt = num_frames(n_tgt_samples, settings.hop_length)
    ns, nt = reduced_lengths(n_src, n_tgt, r)
    if ns < 1:
        return f"too_short: source has {n_src} frame(s), fewer than the reduction factor {r}"
    ratio = max(ns, nt) / min(ns, nt)
    if ratio > settings.max_length_ratio:
        return f"length_ratio: {ns} source vs {nt} target reduced frames (x{ratio:.2f} > {settings.max_length_ratio})"
    return None


def align_pair(utt_id: str, src_path: str, tgt_path: str, settings: AlignSettings) -> PairResult:
    """Durations for one pair, or the reason it is skipped (sample-rate mismatches raise instead)."""
    src = load_audio(src_path, settings.fs)
    tgt = load_audio(tgt_path, settings.fs)
    reason = length_skip(len(src), len(tgt), settings)
    if reason is not None:
        return PairResult(utt_id, skip=reason)
    durations, ns, nt = align_waveforms(
        src,
        tgt,
        fs=settings.fs,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
        r=settings.reduction_factor,
        win_length=settings.win_length,
        fmin=settings.fmin or 0.0,
        fmax=settings.fmax,
    )
    check_durations(utt_id, durations, ns, nt)
    return PairResult(utt_id, durations=durations)


def _align_job(job: tuple[str, str, str, AlignSettings]) -> PairResult:
    return align_pair(*job)


def pair_scps(src: dict[str, str], tgt: dict[str, str]) -> tuple[list[tuple[str, str, str]], list[PairResult]]:
    """Pairs ``(utt, src_path, tgt_path)`` sorted by utt id, and skips for ids found in one scp only."""
    pairs = [(utt, src[utt], tgt[utt]) for utt in sorted(src.keys() & tgt.keys())]
    skips = [PairResult(u, skip="missing_target: not in the target scp") for u in sorted(src.keys() - tgt.keys())]
    skips += [PairResult(u, skip="missing_source: not in the source scp") for u in sorted(tgt.keys() - src.keys())]
    return pairs, skips


def align_all(pairs: Iterable[tuple[str, str, str]], settings: AlignSettings, nj: int = 1) -> list[PairResult]:
    """Align every pair, over ``nj`` processes; results come back in the order of ``pairs``."""
    jobs = [(utt, s, t, settings) for utt, s, t in pairs]
    warmup()  # compile (or load) the numba kernels once, before forking
    if nj <= 1 or len(jobs) <= 1:
        return [_align_job(job) for job in progress(jobs, "durations")]
    chunksize = max(1, min(16, len(jobs) // (4 * nj)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes=min(nj, len(jobs))) as pool:
        return list(progress(pool.imap(_align_job, jobs, chunksize=chunksize), "durations", total=len(jobs)))


def write_atomic(path: Path, lines: list[str]) -> None:
    """Write ``lines`` to a temporary file next to ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_results(output_dir: str | Path, results: list[PairResult]) -> tuple[int, int]:
    """Write ``durations`` and ``skipped`` (both sorted by utt id); return (aligned, skipped) counts."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda res: res.utt_id)
    done = [f"{res.utt_id} " + " ".join(map(str, res.durations.tolist())) for res in results if res.skip is None]
    skipped = [f"{res.utt_id} {res.skip}" for res in results if res.skip is not None]
    write_atomic(output_dir / "durations", done)
    write_atomic(output_dir / "skipped", skipped)
    return len(done), len(skipped)


def extract_durations(
    src_scp: str | Path,
    tgt_scp: str | Path,
    output_dir: str | Path,
    settings: AlignSettings,
    nj: int = 1,
) -> tuple[int, int]:
    """Align every pair of two scp files and write the results.

    Args:
        src_scp: Source ``wav.scp``.
        tgt_scp: Target ``tgt_wav.scp`` (same utt ids).
        output_dir: Folder for ``durations`` and ``skipped``.
        settings: Mel settings and reduction factor from the VC config.
        nj: Worker processes.

    Returns:
        Counts of aligned and skipped utterances.

    Raises:
        SampleRateError: An audio file is not sampled at ``settings.fs``.
        RuntimeError: Every pair was skipped (the files are still written).
    """
    pairs, skips = pair_scps(read_scp(src_scp), read_scp(tgt_scp))
    results = align_all(pairs, settings, nj) + skips
    for res in sorted(results, key=lambda res: res.utt_id):
        if res.skip is not None:
            logger.warning("skipped %s: %s", res.utt_id, res.skip)
    n_done, n_skipped = write_results(output_dir, results)
    logger.info("wrote durations for %d utterance(s) to %s; %d skipped", n_done, output_dir, n_skipped)
    if n_done == 0:
        raise RuntimeError(f"every pair was skipped ({n_skipped}); see {Path(output_dir) / 'skipped'} for the reasons")
    return n_done, n_skipped
