"""Intelligibility: pocketsphinx transcription scored with jiwer against the ``text`` file.

pocketsphinx's bundled US-English acoustic model, dictionary and language model (shipped in the wheel, no
download) decode 16-kHz audio. Both the reference transcript and the hypothesis are normalized by
:func:`normalize_text` (lower case, punctuation removed except word-internal apostrophes), then

    WER = (S + D + I) / N_ref_words,   CER = (S + D + I) / N_ref_chars   (characters, spaces included)

per utterance, and pooled over a set as the sum of errors over the sum of reference lengths. The model is
English only: for other languages leave ``asr`` out of ``--metrics``. A small generic recognizer is far from
human transcription, so the useful number is the converted WER next to the WER of the target's (and the
source's) own recordings under the same recognizer.
"""

import re

import numpy as np

from espnet2_vc.utils.audio import resample

RECOGNIZER_FS = 16000
_NOT_WORD = re.compile(r"[^a-z0-9']+")


def normalize_text(text: str) -> str:
    """Lower-case words separated by single spaces, without punctuation (``"Phil's, well-known."`` →
    ``"phil's well known"``)."""
    words = (w.strip("'") for w in _NOT_WORD.sub(" ", text.lower()).split())
    return " ".join(w for w in words if w)


class Recognizer:
    """pocketsphinx ``Decoder`` with the bundled en-US model (one instance per process)."""

    def __init__(self) -> None:
        """Load the decoder.

        Raises:
            ImportError: pocketsphinx is not installed (``pip install pocketsphinx``).
        """
        try:
            from pocketsphinx import Decoder
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(f"the asr metric needs pocketsphinx (pip install pocketsphinx): {e}") from e
        self.decoder = Decoder(samprate=RECOGNIZER_FS, loglevel="FATAL")

    def transcribe(self, wav: np.ndarray, fs: int) -> str:
        """Best hypothesis for one utterance, normalized (``""`` when nothing is recognized).

        Args:
            wav: Waveform (n_samples,) in [-1, 1].
            fs: Its sampling rate.
        """
        x = resample(np.asarray(wav, dtype=np.float64), fs, RECOGNIZER_FS)
        pcm = (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return normalize_text(hyp.hypstr) if hyp is not None else ""


def error_counts(reference: str, hypothesis: str) -> dict[str, float]:
    """Word and character errors of one hypothesis.

    Args:
        reference: Reference transcript (normalized here).
        hypothesis: Recognized text (normalized here).

    Returns:
        ``wer`` and ``cer`` (fractions), ``word_errors``, ``ref_words``, ``char_errors``, ``ref_chars``.

    Raises:
        ValueError: The reference is empty after normalization.
    """
    import jiwer

    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        raise ValueError("empty reference transcript")
    words = jiwer.process_words(ref, hyp) if hyp else None
    chars = jiwer.process_characters(ref, hyp) if hyp else None
    n_words, n_chars = len(ref.split()), len(ref)
    word_errors = n_words if words is None else words.substitutions + words.deletions + words.insertions
    char_errors = n_chars if chars is None else chars.substitutions + chars.deletions + chars.insertions
    return {
        "wer": word_errors / n_words,
        "cer": char_errors / n_chars,
        "word_errors": float(word_errors),
        "ref_words": float(n_words),
        "char_errors": float(char_errors),
        "ref_chars": float(n_chars),
    }
