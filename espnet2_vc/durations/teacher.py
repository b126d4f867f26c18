"""Durations from a trained autoregressive teacher (``vc.sh --duration_method teacher``, stage 4).

The teacher (``--tts vtn``) is trained on the same features as the NARS2S student; its config is the user's
teacher yaml with the mel settings, trimming and reduction factor of the student's config filled in
(:func:`teacher_train_config`), so its attention indexes exactly the student's reduced frames. Every pair is
decoded teacher-forced; :mod:`espnet2_vc.durations.attention` turns the best head's attention into durations.

Writes, like the DTW extraction, ``<output_dir>/durations`` and ``<output_dir>/skipped``, and also
``<output_dir>/focus_rate`` (``<utt> <rate> <layer> <head>``, every aligned or low-focus pair).
"""

import logging
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np
import torch

from espnet2_vc.durations.attention import attention_durations, best_head
from espnet2_vc.durations.extract import (
    AlignSettings,
    PairResult,
    length_skip,
    load_audio,
    pair_scps,
    read_scp,
    write_atomic,
    write_results,
)
from espnet2_vc.utils.config import load_config, mel_config, reduction_factor
from espnet2_vc.utils.progress import progress

logger = logging.getLogger(__name__)

# Taken from the student's config: what makes the teacher's frames the student's frames.
SHARED_KEYS = ("feats_extract", "feats_extract_conf", "trim_conf")


def teacher_train_config(teacher_config: Union[str, Path], vc_config: Union[str, Path]) -> Dict[str, Any]:
    """The teacher's training config: ``teacher_config`` with the student's frame settings filled in.

    Args:
        teacher_config: The teacher yaml (network and optimization; ``tts: vtn``).
        vc_config: The student's config (``exp/vc_stats/config.yaml``: mel settings, trim, reduction factor).

    Raises:
        ValueError: The teacher yaml sets a mel setting, the trimming or the reduction factor differently.
    """
    teacher, student = load_config(teacher_config), load_config(vc_config)
    for key in SHARED_KEYS:
        if key in teacher and teacher[key] != student.get(key):
            raise ValueError(
                f"{teacher_config}: {key} differs from the VC config {vc_config}; remove it from the teacher "
                "config: the teacher takes the student's frame settings so that its attention indexes its frames"
            )
        if key in student:
            teacher[key] = student[key]
    r = reduction_factor(student)
    conf = dict(teacher.get("tts_conf") or {})
    if conf.setdefault("reduction_factor", r) != r:
        raise ValueError(
            f"{teacher_config}: tts_conf.reduction_factor {conf['reduction_factor']} differs from the VC config's "
            f"{r}; durations count the student's reduced frames, so the teacher must reduce by {r} too"
        )
    teacher["tts_conf"] = conf
    return teacher


def check_same_frames(teacher_args: Dict[str, Any], vc_config: Union[str, Path]) -> None:
    """Raise ``ValueError`` unless a trained teacher has the student's mel settings and reduction factor."""
    for name, ours, theirs in (
        ("mel settings", mel_config(teacher_args), mel_config(vc_config)),
        ("reduction factor", reduction_factor(teacher_args), reduction_factor(vc_config)),
    ):
        if ours != theirs:
            raise ValueError(f"the teacher's {name} {ours} differ from {vc_config}'s {theirs}; retrain the teacher")


class TeacherAligner:
    """A trained attention VC model that turns one pair of waveforms into durations."""

    def __init__(
        self,
        config_file: Union[str, Path],
        model_file: Union[str, Path],
        vc_config: Union[str, Path],
        max_length_ratio: Optional[float] = None,
    ):
        """Load the teacher (strictly) and check that its frames are the student's.

        Args:
            config_file: The teacher's ``config.yaml``.
            model_file: Its weights.
            vc_config: The student's config.
            max_length_ratio: Pairs whose reduced lengths differ by more than this factor are skipped
                (None: :class:`AlignSettings`' default).
        """
        from espnet2_vc.tasks.vc_model import vc_model_from_file

        self.model, args = vc_model_from_file(config_file, model_file, "cpu")
        self.model.eval()
        check_same_frames(vars(args), vc_config)
        self.settings = AlignSettings.from_config(vars(args), max_length_ratio)

    def align(
        self,
        utt_id: str,
        src_path: str,
        tgt_path: str,
        threshold: float,
        sids: Optional[Dict[str, torch.Tensor]] = None,
    ) -> tuple[PairResult, Optional[tuple[float, int, int]]]:
        """Durations of one pair (or its skip) and the (focus rate, layer, head) it was read from."""
        src, tgt = load_audio(src_path, self.settings.fs), load_audio(tgt_path, self.settings.fs)
        reason = length_skip(len(src), len(tgt), self.settings)
        if reason is not None:
            return PairResult(utt_id, skip=reason), None
        data = dict(
            src_speech=torch.from_numpy(src)[None], src_speech_lengths=torch.tensor([len(src)]),
            tgt_speech=torch.from_numpy(tgt)[None], tgt_speech_lengths=torch.tensor([len(tgt)]), **(sids or {}),
        )  # fmt: skip
        att, ns, nt = self.model.alignments(**data)
        att = att[0, :, :, : int(nt[0]), : int(ns[0])]
        layer, head, rate = best_head(att, self.model.tts.alignment_heads)
        if rate < threshold:
            return PairResult(utt_id, skip=f"low_focus_rate: {rate:.3f} < {threshold} (layer {layer} head {head})"), (
                rate, layer, head)  # fmt: skip
        durations = attention_durations(att[layer, head])
        assert durations.size == int(ns[0]) and int(durations.sum()) == int(nt[0]), utt_id
        return PairResult(utt_id, durations=durations), (rate, layer, head)


def extract_teacher_durations(
    aligner: TeacherAligner,
    src_scp: Union[str, Path],
    tgt_scp: Union[str, Path],
    output_dir: Union[str, Path],
    focus_rate_threshold: float = 0.0,
    sid_files: Optional[Dict[str, Union[str, Path]]] = None,
) -> tuple[int, int]:
    """Durations of every pair of two scp files; writes ``durations``, ``skipped`` and ``focus_rate``.

    Args:
        aligner: The loaded teacher.
        src_scp / tgt_scp: Source and target ``wav.scp`` (same utt ids).
        output_dir: Folder for the three files.
        focus_rate_threshold: Pairs whose best head's focus rate is lower are skipped (``low_focus_rate``).
        sid_files: ``{"src_sids": utt2src_sid, "tgt_sids": utt2tgt_sid}`` for a many-to-many teacher.

    Returns:
        Counts of aligned and skipped utterances.

    Raises:
        RuntimeError: Every pair was skipped (the files are still written).
    """
    pairs, results = pair_scps(read_scp(src_scp), read_scp(tgt_scp))
    sid_maps = {name: read_scp(path) for name, path in (sid_files or {}).items()}
    rates = []
    for utt, src, tgt in progress(pairs, "durations (teacher)"):
        sids = {name: torch.tensor([[int(m[utt])]]) for name, m in sid_maps.items()}
        res, focus = aligner.align(utt, src, tgt, focus_rate_threshold, sids)
        results.append(res)
        if focus is not None:
            rates.append((utt, *focus))
    for res in sorted(results, key=lambda res: res.utt_id):
        if res.skip is not None:
            logger.warning("skipped %s: %s", res.utt_id, res.skip)
    n_done, n_skipped = write_results(output_dir, results)
    lines = [f"{utt} {rate:.4f} {layer} {head}" for utt, rate, layer, head in sorted(rates)]
    write_atomic(Path(output_dir) / "focus_rate", lines)
    if rates:
        values = np.array([r for _, r, _, _ in rates])
        low = int((values < focus_rate_threshold).sum())
        logger.info(
            "focus rate: mean %.3f, min %.3f, median %.3f; %d below the threshold %s", values.mean(), values.min(),
            np.median(values), low, focus_rate_threshold,
        )  # fmt: skip
    logger.info("wrote durations for %d utterance(s) to %s; %d skipped", n_done, output_dir, n_skipped)
    if n_done == 0:
        raise RuntimeError(f"every pair was skipped ({n_skipped}); see {Path(output_dir) / 'skipped'} for the reasons")
    return n_done, n_skipped
