import math
import os

import numpy as np
import pytest

from espnet2_vc.evaluate.speaker import SpeakerReferences, cosine, speaker_similarities


def test_cosine():
    assert cosine(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert math.isnan(cosine(np.zeros(2), np.ones(2)))


def test_leave_one_out_references():
    embs = {"u1": np.array([1.0, 0.0]), "u2": np.array([0.0, 1.0]), "u3": np.array([0.0, 1.0])}
    refs = SpeakerReferences(embs, {"u1": "a", "u2": "a", "u3": "b"})
    np.testing.assert_allclose(refs.centroid("a"), [0.5, 0.5])
    np.testing.assert_allclose(refs.centroid("a", leave_out="u1"), [0.0, 1.0])  # u1 is not its own reference
    np.testing.assert_allclose(refs.centroid("a", leave_out="u3"), [0.5, 0.5])  # u3 is not speaker a's
    assert refs.centroid("b", leave_out="u3") is None and refs.centroid("c") is None
    assert math.isnan(refs.similarity(np.ones(2), "b", "u3"))


def test_speaker_similarities_layout():
    rng = np.random.default_rng(0)
    tgt_voice, src_voice = rng.normal(size=8), rng.normal(size=8)
    utts = ["u1", "u2", "u3"]
    embeddings = {
        "target": {u: tgt_voice + 0.1 * rng.normal(size=8) for u in utts},
        "source": {u: src_voice + 0.1 * rng.normal(size=8) for u in utts},
        "converted": {u: tgt_voice + 0.3 * rng.normal(size=8) for u in utts},
    }
    sims = speaker_similarities(embeddings, dict.fromkeys(utts, "T"), dict.fromkeys(utts, "S"))
    for u in utts:
        assert sims["converted"][u]["spk_cos_tgt"] > sims["converted"][u]["spk_cos_src"]
        assert sims["target"][u]["spk_cos_tgt"] > sims["source"][u]["spk_cos_tgt"]


def test_a_shared_target_recording_is_left_out_under_every_utterance_id():
    """Many-to-many: a -> t and b -> t of one sentence share t's recording; leaving the utterance out leaves
    that recording out, whichever id it is listed under; the other target is scored as spk_cos_other."""
    rng = np.random.default_rng(1)
    t_voice, u_voice = rng.normal(size=8), rng.normal(size=8)
    rec = {s: t_voice + 0.5 * rng.normal(size=8) for s in ("s1", "s2", "s3")}
    utts = {f"{src}_t_{s}": (s, "t") for src in ("a", "b") for s in rec}
    utts.update({f"a_u_{s}": (s, "u") for s in rec})
    embeddings = {"target": {u: (rec[s] if t == "t" else u_voice + 0.1 * rng.normal(size=8))
                             for u, (s, t) in utts.items()}}  # fmt: skip
    embeddings["converted"] = {u: e + 0.01 for u, e in embeddings["target"].items()}
    utt2tgt = {u: t for u, (_, t) in utts.items()}
    utt2rec = {u: f"{t}/{s}.wav" for u, (s, t) in utts.items()}
    sims = speaker_similarities(embeddings, utt2tgt, dict.fromkeys(utts, "S"), utt2rec)
    others = [r for s, r in rec.items() if s != "s1"]
    expected = cosine(rec["s1"], (others[0] + others[1]) / 2)  # without s1, which b_t_s1 also lists
    assert sims["target"]["a_t_s1"]["spk_cos_tgt"] == pytest.approx(expected)
    assert sims["target"]["b_t_s1"]["spk_cos_tgt"] == pytest.approx(expected)
    assert all(v["spk_cos_tgt"] > v["spk_cos_other"] for v in sims["converted"].values())


def test_resemblyzer_on_arctic(arctic_dir):
    pytest.importorskip("resemblyzer")
    from espnet2_vc.evaluate.speaker import SpeakerEncoder
    from espnet2_vc.utils.audio import load_audio as load_wav

    encoder = SpeakerEncoder()
    ids = ["arctic_a0004", "arctic_a0005", "arctic_a0007"]

    def embed(speaker, utt):
        return encoder.embed(*load_wav(os.path.join(arctic_dir, f"cmu_us_{speaker}_arctic", "wav", f"{utt}.flac")))

    fraser = {u: embed("fraser", u) for u in ids}
    kathleen = embed("kathleen", ids[0])
    assert kathleen.shape == (256,) and np.linalg.norm(kathleen) == pytest.approx(1.0, abs=1e-4)
    refs = SpeakerReferences(fraser, dict.fromkeys(ids, "fraser"))
    same = refs.similarity(fraser[ids[0]], "fraser", ids[0])  # a fraser recording vs the other two
    other = refs.similarity(kathleen, "fraser", ids[0])
    assert same > other + 0.1, (same, other)
