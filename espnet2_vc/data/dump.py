"""Stage 2 of a recipe: ``data/<set>/`` → ``dump/raw/<set>/`` (see ``doc/data.md``).

Each source/target pair is read, resampled to ``fs``, trimmed of leading and trailing silence only (the
middle of an utterance is never touched), length-filtered and written as 16-bit PCM wav. Every utterance
that is not written is listed in ``dropped`` with the reason, so nothing disappears silently.
"""

import logging
import multiprocessing
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
import soundfile as sf

from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.utils.audio import AudioError, clipping, read_audio
from espnet2_vc.utils.kaldi import read_kaldi, write_kaldi
from espnet2_vc.utils.progress import progress

# Files of data/<set>/ that every set must have (doc/data.md).
REQUIRED_FILES = ("wav.scp", "tgt_wav.scp", "utt2spk", "utt2tgt_spk")


@dataclass(frozen=True)
class DumpSettings:
    """How stage 2 turns one pair into dumped audio.

    Attributes:
        fs: Output sampling rate (Hz).
        min_dur: Shortest kept utterance after trimming (s), checked on source and target.
        max_dur: Longest kept utterance after trimming (s), checked on source and target.
        max_ratio: Largest accepted ratio of the longer to the shorter side of a pair (<= 0: no check).
        trim: Edge-silence trimming.
    """

    fs: int
    min_dur: float = 0.3
    max_dur: float = 30.0
    max_ratio: float = 3.0
    trim: TrimSettings = TrimSettings()


@dataclass(frozen=True)
class PairResult:
    """What happened to one utterance: sample counts when kept, a reason when dropped."""

    utt_id: str
    src_samples: int = 0
    tgt_samples: int = 0
    reason: Optional[str] = None
    warnings: Tuple[str, ...] = ()  # kept, but worth a look (clipped audio)


def to_pcm16(wav: np.ndarray) -> np.ndarray:
    """Float waveform → int16, clipping what resampling pushed past full scale."""
    return (np.clip(wav, -1.0, 32767.0 / 32768.0) * 32768.0).astype(np.int16)


def _process(job: Tuple[str, str, str, Path, DumpSettings]) -> PairResult:
    """Dump one pair into ``tmp_dir``; a failure becomes a dropped reason, never an exception."""
    utt, src_path, tgt_path, tmp_dir, s = job
    wavs: Dict[str, np.ndarray] = {}
    notes: Tuple[Optional[str], ...] = ()
    for side, path in (("source", src_path), ("target", tgt_path)):
        try:
            wav = read_audio(path, s.fs, allow_empty=True)  # an empty file is dropped as silent
        except AudioError as e:  # missing, NaN / inf samples
            return PairResult(utt, reason=f"{e.reason}: {side} audio {e}".replace("\n", " "))
        except Exception as e:  # unreadable audio must not stop the set
            return PairResult(
                utt, reason=f"unreadable: {side} audio {path}: {type(e).__name__}: {e}".replace("\n", " ")
            )
        start, end = s.trim.bounds(wav, s.fs)
        if end <= start:
            return PairResult(utt, reason=f"silent: {side} audio {path}")
        wavs[side] = wav[start:end]
        notes += (clipping(wavs[side], f"{side} audio {path}"),)
    lengths = {side: len(w) for side, w in wavs.items()}
    for side, n in lengths.items():
        if n < s.min_dur * s.fs:
            return PairResult(utt, reason=f"too_short: {side} {n / s.fs:.2f} s < min_dur {s.min_dur} s")
        if n > s.max_dur * s.fs:
            return PairResult(utt, reason=f"too_long: {side} {n / s.fs:.2f} s > max_dur {s.max_dur} s")
    ratio = max(lengths.values()) / min(lengths.values())
    if s.max_ratio > 0 and ratio > s.max_ratio:
        return PairResult(utt, reason=f"length_ratio: {ratio:.2f} > max_ratio {s.max_ratio}")
    for side, sub in (("source", "src"), ("target", "tgt")):
        sf.write(str(tmp_dir / "data" / sub / f"{utt}.wav"), to_pcm16(wavs[side]), s.fs, subtype="PCM_16")
    return PairResult(utt, src_samples=lengths["source"], tgt_samples=lengths["target"],
                      warnings=tuple(n for n in notes if n))  # fmt: skip


def read_data_dir(data_dir: Union[str, Path]) -> Dict[str, Dict[str, str]]:
    """All maps of ``data/<set>/`` by file name (``text`` only when present)."""
    data_dir = Path(data_dir)
    missing = [name for name in REQUIRED_FILES if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)} (see doc/data.md)")
    names = REQUIRED_FILES + (("text",) if (data_dir / "text").is_file() else ())
    return {name: read_kaldi(data_dir / name) for name in names}


def make_spk2sid(speakers: Iterable[str]) -> Dict[str, int]:
    """0-based ids for the sorted speaker names."""
    return {spk: i for i, spk in enumerate(sorted(set(speakers)))}


def check_speakers(maps: Dict[str, Dict[str, str]], spk2sid: Dict[str, int], spk2sid_path: str) -> None:
    """Raise ``ValueError`` naming a speaker of this set that ``spk2sid`` does not know."""
    for name in ("utt2spk", "utt2tgt_spk"):
        for utt, spk in sorted(maps[name].items()):
            if spk not in spk2sid:
                raise ValueError(
                    f"speaker {spk!r} (utt {utt}, {name}) is not in {spk2sid_path}, which was made on the "
                    f"training set and knows {sorted(spk2sid)}: a model cannot convert an unseen speaker"
                )


def unpaired_reasons(maps: Dict[str, Dict[str, str]]) -> Dict[str, str]:
    """Reasons for utterances that miss an entry in one of the required files."""
    reasons = {}
    every = set().union(*(maps[name] for name in REQUIRED_FILES))
    for utt in sorted(every):
        missing = [name for name in REQUIRED_FILES if utt not in maps[name]]
        if missing:
            reasons[utt] = f"id_mismatch: missing from {', '.join(missing)}"
        elif "/" in utt:
            reasons[utt] = "bad_id: utt id contains '/'"
    return reasons


def dump_set(
    data_dir: Union[str, Path],
    output_dir: Union[str, Path],
    settings: DumpSettings,
    spk2sid_path: Optional[Union[str, Path]] = None,
    nj: int = 1,
) -> Tuple[int, int]:
    """Dump one set; ``output_dir`` is replaced only when everything was written.

    Args:
        data_dir: ``data/<set>/`` made by ``local/data.sh``.
        output_dir: ``dump/raw/<set>/``; the audio goes to ``<output_dir>/data/{src,tgt}/<utt>.wav`` and the
            scp files name it as ``<output_dir>/…`` (relative when ``output_dir`` is).
        settings: Resampling, trimming and filters.
        spk2sid_path: The training set's ``spk2sid`` to reuse (dev/eval); None builds it from this set.
        nj: Worker processes.

    Returns:
        Counts of kept and dropped utterances.

    Raises:
        FileNotFoundError: A required file of ``data_dir`` is missing.
        ValueError: A speaker is not in ``spk2sid_path``.
        RuntimeError: Every utterance was dropped (the report stays in ``<output_dir>.tmp/dropped``).
    """
    maps = read_data_dir(data_dir)
    if spk2sid_path is not None:
        spk2sid = {k: int(v) for k, v in read_kaldi(spk2sid_path).items()}
        check_speakers(maps, spk2sid, str(spk2sid_path))
    else:
        spk2sid = make_spk2sid(list(maps["utt2spk"].values()) + list(maps["utt2tgt_spk"].values()))

    output_dir = Path(output_dir)
    tmp_dir = output_dir.with_name(output_dir.name + ".tmp")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    for sub in ("src", "tgt"):
        (tmp_dir / "data" / sub).mkdir(parents=True)

    dropped = unpaired_reasons(maps)
    jobs = [
        (utt, maps["wav.scp"][utt], maps["tgt_wav.scp"][utt], tmp_dir, settings)
        for utt in sorted(maps["wav.scp"])
        if utt not in dropped
    ]
    if nj > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(min(nj, len(jobs))) as pool:
            chunks = max(1, len(jobs) // (4 * nj))
            results: List[PairResult] = list(progress(pool.imap(_process, jobs, chunksize=chunks), "vc_dump",
                                                      total=len(jobs)))  # fmt: skip
    else:
        results = [_process(job) for job in progress(jobs, "vc_dump")]
    kept = {r.utt_id: r for r in results if r.reason is None}
    dropped.update({r.utt_id: r.reason for r in results if r.reason is not None})

    for utt, reason in sorted(dropped.items()):
        logging.warning(f"{data_dir}: dropped {utt}: {reason}")
    for utt, result in sorted(kept.items()):
        for warning in result.warnings:
            logging.warning(f"{data_dir}: kept {utt}, but {warning}")
    write_kaldi(tmp_dir / "dropped", dropped)
    if not kept:
        raise RuntimeError(f"{data_dir}: every utterance was dropped; see {tmp_dir / 'dropped'}")

    def sub_map(name: str) -> Dict[str, str]:
        return {utt: maps[name][utt] for utt in kept if utt in maps[name]}

    write_kaldi(tmp_dir / "wav.scp", {u: output_dir / "data" / "src" / f"{u}.wav" for u in kept})
    write_kaldi(tmp_dir / "tgt_wav.scp", {u: output_dir / "data" / "tgt" / f"{u}.wav" for u in kept})
    write_kaldi(tmp_dir / "utt2spk", sub_map("utt2spk"))
    write_kaldi(tmp_dir / "utt2tgt_spk", sub_map("utt2tgt_spk"))
    if "text" in maps:
        write_kaldi(tmp_dir / "text", sub_map("text"))
    write_kaldi(tmp_dir / "utt2num_samples", {u: r.src_samples for u, r in kept.items()})
    write_kaldi(tmp_dir / "tgt_utt2num_samples", {u: r.tgt_samples for u, r in kept.items()})
    with (tmp_dir / "spk2sid").open("w", encoding="utf-8") as f:
        f.writelines(f"{spk} {sid}\n" for spk, sid in sorted(spk2sid.items(), key=lambda kv: kv[1]))
    write_kaldi(tmp_dir / "utt2src_sid", {u: spk2sid[maps["utt2spk"][u]] for u in kept})
    write_kaldi(tmp_dir / "utt2tgt_sid", {u: spk2sid[maps["utt2tgt_spk"][u]] for u in kept})

    shutil.rmtree(output_dir, ignore_errors=True)
    tmp_dir.rename(output_dir)
    reasons = Counter(reason.split(":")[0] for reason in dropped.values())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"
    logging.info(f"{data_dir} → {output_dir}: kept {len(kept)}, dropped {len(dropped)} ({summary}) at {settings.fs} Hz")
    return len(kept), len(dropped)
