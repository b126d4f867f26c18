"""How well durations follow the phones: agreement with forced phone alignments of both sides.

Both recordings of a pair say the same text. pocketsphinx (its bundled en-US acoustic model and dictionary,
the WER recognizer's: no download) aligns each to that text, which gives the phones of each side with their
times. Durations map every reduced target frame to one reduced source frame; a target frame inside the
target's ``k``-th phone *agrees* when its source frame lies inside the source's ``k``-th phone (the same phone
of the same word). Silences are left out on both sides (pauses are inserted where each speaker paused).

A pair is checked only when both sides have the same number of non-silence phones (the aligner may choose
another pronunciation on one side: one of the same length, ``DH AH`` / ``DH IY``, still pairs phone for
phone); pairs whose text has a word outside the dictionary cannot be aligned. Both are skipped with their
reason, never silently.

Phone boundaries of a forced aligner are uncertain by a frame or two (10 ms frames), so even a perfect
alignment of the two sides agrees on less than 100 % of the frames; :func:`diagonal_durations` (a straight
line between the two lengths) gives the figure of an alignment that ignores the content.
"""

import logging
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from espnet2_vc.evaluate.asr import RECOGNIZER_FS, normalize_text
from espnet2_vc.utils.audio import resample

Segment = Tuple[str, float, float]  # phone, start and end in seconds
SILENCE = "SIL"


class PhoneAligner:
    """pocketsphinx forced alignment with the bundled en-US model (one decoder per process, alignment only:
    pocketsphinx crashes when a decoder that aligned is used to recognize)."""

    def __init__(self) -> None:
        """Load the decoder.

        Raises:
            ImportError: pocketsphinx is not installed (``pip install pocketsphinx``).
        """
        try:
            from pocketsphinx import Decoder
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(f"phone alignment needs pocketsphinx (pip install pocketsphinx): {e}") from e
        self.decoder = Decoder(samprate=RECOGNIZER_FS, bestpath=False, loglevel="FATAL")  # as pocketsphinx aligns

    def phones(self, wav: np.ndarray, fs: int, text: str) -> List[Segment]:
        """The phones of ``text`` in ``wav``, in order, silences included.

        Args:
            wav: Waveform (n_samples,) in [-1, 1].
            fs: Its sampling rate.
            text: What it says (normalized here).

        Raises:
            ValueError: The text cannot be aligned (a word outside the dictionary, or empty).
        """
        words = normalize_text(text)
        pcm = (np.clip(resample(np.asarray(wav, dtype=np.float64), fs, RECOGNIZER_FS), -1, 1) * 32767).astype("<i2")
        try:
            self.decoder.set_align_text(words)
            for second_pass in (False, True):  # the first pass finds the words, the second their phones
                if second_pass:
                    self.decoder.set_alignment()
                self.decoder.start_utt()
                self.decoder.process_raw(pcm.tobytes(), full_utt=True)
                self.decoder.end_utt()
            alignment = self.decoder.get_alignment()
        except RuntimeError as e:  # a word outside the dictionary, or no path through the audio
            self.decoder = type(self.decoder)(samprate=RECOGNIZER_FS, bestpath=False, loglevel="FATAL")  # a clean state
            raise ValueError(f"pocketsphinx cannot align {words!r}: {e}") from e
        frame = 1.0 / 100  # pocketsphinx's frame rate
        return [(p.name, p.start * frame, (p.start + p.duration) * frame) for w in alignment
                for p in w]  # fmt: skip


def diagonal_durations(n_src: int, n_tgt: int) -> np.ndarray:
    """Durations of the straight line from (0, 0) to (n_src, n_tgt): the same lengths, no content."""
    return np.diff(np.round(np.linspace(0, n_tgt, n_src + 1)).astype(np.int64))


def _phone_index(segments: Sequence[Segment], times: np.ndarray) -> np.ndarray:
    """For each time, the index of the non-silence phone it lies in, among the non-silence phones; -1 elsewhere."""
    speech = [(a, b) for name, a, b in segments if name != SILENCE]
    index = np.full(len(times), -1)
    for k, (a, b) in enumerate(speech):
        index[(times >= a) & (times < b)] = k
    return index


def phone_agreement(
    durations: np.ndarray, src: Sequence[Segment], tgt: Sequence[Segment], frame_s: float, r: int
) -> Optional[Dict[str, int]]:
    """Count the target frames whose source frame lies in the same phone.

    Args:
        durations: (N_src,) reduced target frames per reduced source frame.
        src / tgt: Phone segments of the source / target recording (:meth:`PhoneAligner.phones`).
        frame_s: Seconds per (unreduced) frame, the hop.
        r: Reduction factor (a reduced frame is centred on the middle of its ``r`` frames).

    Returns:
        ``frames`` (target frames inside a phone), ``same`` (in the same phone), ``within_one`` (at most one
        phone away) and ``to_silence`` (their source frame is in no phone); None when the two phone sequences
        differ, so that phones cannot be matched by position.
    """
    names = [[name for name, _, _ in side if name != SILENCE] for side in (src, tgt)]
    if len(names[0]) != len(names[1]):  # another pronunciation of the same length (DH AH / DH IY) still matches
        return None
    durations = np.asarray(durations, dtype=np.int64)
    centre = lambda i: (i * r + (r - 1) / 2) * frame_s  # noqa: E731
    src_of_tgt = np.repeat(np.arange(len(durations)), durations)
    t_phone = _phone_index(tgt, centre(np.arange(len(src_of_tgt))))
    s_phone = _phone_index(src, centre(src_of_tgt))
    inside = t_phone >= 0
    t_phone, s_phone = t_phone[inside], s_phone[inside]
    speech = s_phone >= 0
    return {
        "frames": int(inside.sum()),
        "same": int((speech & (s_phone == t_phone)).sum()),
        "within_one": int((speech & (np.abs(s_phone - t_phone) <= 1)).sum()),
        "to_silence": int((~speech).sum()),
    }


def agreement_summary(counts: List[Dict[str, int]]) -> Dict[str, float]:
    """Pooled fractions over pairs: ``same_phone``, ``within_one_phone``, ``to_silence`` (of target frames)."""
    frames = max(1, sum(c["frames"] for c in counts))
    return {
        "pairs": len(counts),
        "target_frames": sum(c["frames"] for c in counts),
        "same_phone": sum(c["same"] for c in counts) / frames,
        "within_one_phone": sum(c["within_one"] for c in counts) / frames,
        "to_silence": sum(c["to_silence"] for c in counts) / frames,
    }


def check_sets(
    durations: Dict[str, np.ndarray],
    aligner: PhoneAligner,
    load_pair: Callable[[str], Tuple[Tuple[np.ndarray, int], Tuple[np.ndarray, int]]],
    text: Dict[str, str],
    frame_s: float,
    r: int,
) -> Dict[str, object]:
    """Agreement of ``durations`` and of the diagonal with the phones, over the pairs that can be checked.

    Args:
        durations: Utterance id → durations.
        aligner: The forced aligner.
        load_pair: Utterance id → ((source wav, fs), (target wav, fs)); KeyError when it has no audio.
        text: Utterance id → transcript.
        frame_s / r: As in :func:`phone_agreement`.

    Returns:
        ``durations`` and ``diagonal`` (:func:`agreement_summary`, the same pairs) and ``skipped``
        (reason → count); every skip is logged with its utterance.
    """
    got, diagonal, skipped = [], [], {}

    def skip(utt: str, reason: str, detail: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1
        logging.warning(f"{utt}: not phone-checked ({reason}): {detail}")

    for utt in sorted(durations):
        if utt not in text:
            skip(utt, "no_text", "not in the text file")
            continue
        try:
            (src_wav, src_fs), (tgt_wav, tgt_fs) = load_pair(utt)
        except KeyError:
            skip(utt, "no_audio", "not in both scp files")
            continue
        try:
            src, tgt = aligner.phones(src_wav, src_fs, text[utt]), aligner.phones(tgt_wav, tgt_fs, text[utt])
        except ValueError as e:
            skip(utt, "not_aligned", str(e))
            continue
        d = durations[utt]
        counts = phone_agreement(d, src, tgt, frame_s, r)
        if counts is None:
            n_src, n_tgt = (sum(name != SILENCE for name, _, _ in side) for side in (src, tgt))
            skip(utt, "phones_differ", f"{n_src} against {n_tgt} phones (other pronunciations)")
            continue
        got.append(counts)
        diagonal.append(phone_agreement(diagonal_durations(len(d), int(d.sum())), src, tgt, frame_s, r))
    return {"durations": agreement_summary(got), "diagonal": agreement_summary(diagonal), "skipped": skipped}
