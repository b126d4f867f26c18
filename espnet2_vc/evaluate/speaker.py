"""Speaker similarity with resemblyzer's pretrained speaker encoder (GE2E d-vectors, 256 dims).

Every utterance is embedded after resemblyzer's own preprocessing (resampled to 16 kHz, volume normalized,
long silences removed by webrtcvad). A speaker's reference embedding is the L2-normalized mean of its
recordings' embeddings in the evaluated set; when an utterance of that speaker's own set is scored against
it, that utterance's sentence is left out (leave-one-out), so the parallel recording of the same sentence
never takes part in its own reference. The metric is the cosine similarity

    spk_cos_tgt = cos(e(converted), mean_{u' != u} e(target recording u'))

and ``spk_cos_src`` likewise against the source speaker's recordings. Reference levels: a target recording
against the other target recordings (``target`` row) and a source recording against the target recordings
(``source`` row: no conversion). The weights ship inside the resemblyzer wheel; nothing is downloaded.
"""

import math
from collections import defaultdict

import numpy as np

from espnet2_vc.utils.audio import resample

ENCODER_FS = 16000


class SpeakerEncoder:
    """Thin wrapper over ``resemblyzer.VoiceEncoder`` on the CPU (one instance per process)."""

    def __init__(self, device: str = "cpu") -> None:
        """Load the encoder shipped with resemblyzer.

        Args:
            device: Torch device name.

        Raises:
            ImportError: resemblyzer is not installed (``pip install resemblyzer``).
        """
        try:
            from resemblyzer import VoiceEncoder
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(f"the speaker metric needs resemblyzer (pip install resemblyzer): {e}") from e
        self.encoder = VoiceEncoder(device=device, verbose=False)

    def embed(self, wav: np.ndarray, fs: int) -> np.ndarray:
        """Utterance embedding (256,), unit L2 norm.

        Args:
            wav: Waveform (n_samples,) in [-1, 1].
            fs: Its sampling rate.

        Raises:
            ValueError: Nothing is left after resemblyzer's silence removal.
        """
        from resemblyzer import preprocess_wav

        x = resample(np.asarray(wav, dtype=np.float64), fs, ENCODER_FS).astype(np.float32)
        x = preprocess_wav(x)  # already at 16 kHz: volume normalization and VAD only
        if len(x) < ENCODER_FS // 10:
            raise ValueError(f"only {len(x)} samples left after voice-activity trimming")
        return np.asarray(self.encoder.embed_utterance(x), dtype=np.float64)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (NaN if one is zero)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return math.nan
    return float(np.dot(a, b) / (na * nb))


class SpeakerReferences:
    """Per-speaker sums of reference embeddings, for leave-one-out mean embeddings."""

    def __init__(self, embeddings: dict[str, np.ndarray], utt2spk: dict[str, str]) -> None:
        """Group reference embeddings by speaker.

        Args:
            embeddings: Utterance id → embedding (E,) of the reference recordings.
            utt2spk: Utterance id → speaker of those recordings.
        """
        self.embeddings = embeddings
        self.utt2spk = utt2spk
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = defaultdict(int)
        for utt, emb in embeddings.items():
            spk = utt2spk[utt]
            self.sums[spk] = self.sums.get(spk, 0.0) + emb
            self.counts[spk] += 1

    def centroid(self, spk: str, leave_out: str | None = None) -> np.ndarray | None:
        """Mean embedding of ``spk``'s references, without utterance ``leave_out`` when it is one of them.

        Returns:
            The mean (E,), or ``None`` when no reference is left.
        """
        if spk not in self.sums:
            return None
        total, count = self.sums[spk], self.counts[spk]
        if leave_out is not None and leave_out in self.embeddings and self.utt2spk.get(leave_out) == spk:
            total, count = total - self.embeddings[leave_out], count - 1
        if count == 0:
            return None
        return total / count

    def similarity(self, emb: np.ndarray, spk: str, utt: str) -> float:
        """Cosine of ``emb`` to speaker ``spk``'s leave-``utt``-out mean (NaN without references)."""
        ref = self.centroid(spk, leave_out=utt)
        return math.nan if ref is None else cosine(emb, ref)


def _by_recording(embs: dict[str, np.ndarray], utt2spk: dict[str, str], utt2rec: dict[str, str] | None
                  ) -> SpeakerReferences:  # fmt: skip
    """References with each recording once: many-to-many sets list one target recording under several
    utterance ids (one per source speaker), which leave-one-out by utterance id would keep in."""
    if not utt2rec:
        return SpeakerReferences(embs, utt2spk)
    unique = {utt2rec.get(u, u): e for u, e in embs.items()}
    return SpeakerReferences(unique, {utt2rec.get(u, u): utt2spk[u] for u in embs})


def speaker_similarities(
    embeddings: dict[str, dict[str, np.ndarray]],
    utt2tgt_spk: dict[str, str],
    utt2src_spk: dict[str, str],
    utt2tgt_rec: dict[str, str] | None = None,
    utt2src_rec: dict[str, str] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """``spk_cos_tgt``, ``spk_cos_src`` and, with several target speakers, ``spk_cos_other`` of every
    converted, source and target recording.

    Args:
        embeddings: System (``converted``, ``source``, ``target``) → utt id → embedding (E,).
        utt2tgt_spk: Utterance id → target speaker.
        utt2src_spk: Utterance id → source speaker.
        utt2tgt_rec / utt2src_rec: Utterance id → its target / source recording (e.g. the path): the
            references hold each recording once and leave out the utterance's own.

    Returns:
        System → utt id → ``{"spk_cos_tgt": …, "spk_cos_src": …[, "spk_cos_other": …]}``; ``spk_cos_other`` is
        the highest cosine to another target speaker of the set (a conversion should be closer to its target).
    """
    tgt_refs = _by_recording(embeddings.get("target", {}), utt2tgt_spk, utt2tgt_rec)
    src_refs = _by_recording(embeddings.get("source", {}), utt2src_spk, utt2src_rec)
    targets = sorted(set(utt2tgt_spk.values()))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for system, embs in embeddings.items():
        out[system] = {}
        for utt, emb in embs.items():
            tgt_key, src_key = (utt2tgt_rec or {}).get(utt, utt), (utt2src_rec or {}).get(utt, utt)
            out[system][utt] = {
                "spk_cos_tgt": tgt_refs.similarity(emb, utt2tgt_spk[utt], tgt_key),
                "spk_cos_src": src_refs.similarity(emb, utt2src_spk[utt], src_key),
            }
            if len(targets) > 1:
                out[system][utt]["spk_cos_other"] = max(
                    tgt_refs.similarity(emb, spk, tgt_key) for spk in targets if spk != utt2tgt_spk[utt]
                )
    return out
