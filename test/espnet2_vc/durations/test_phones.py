"""Agreement of durations with forced phone alignments (``espnet2_vc.durations.phones``, ``bin/duration_report``)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from espnet2_vc.bin.duration_report import main
from espnet2_vc.durations.phones import SILENCE, diagonal_durations, phone_agreement

HOP = 0.01  # seconds per frame in the synthetic cases (r = 1: a frame's centre is i * HOP)
# Three phones of 10 frames each after 5 frames of silence, and the same phones twice as slow.
SRC = [(SILENCE, 0.0, 0.05), ("K", 0.05, 0.15), ("AE", 0.15, 0.25), ("T", 0.25, 0.35)]
TGT = [(SILENCE, 0.0, 0.05), ("K", 0.05, 0.25), ("AE", 0.25, 0.45), ("T", 0.45, 0.65)]


def test_a_stretch_that_follows_the_phones_agrees_everywhere():
    durations = np.array([1] * 5 + [2] * 30)  # silence kept, every phone frame doubled: the true alignment
    counts = phone_agreement(durations, SRC, TGT, HOP, 1)
    assert counts == {"frames": 60, "same": 60, "within_one": 60, "to_silence": 0}


def test_an_alignment_off_by_a_phone_is_counted_as_such():
    # The target's K frames all come from source silence, its AE frames from K, its T frames from AE.
    durations = np.array([1] * 4 + [21] + [2] * 10 + [2] * 10 + [0] * 10)[:35]
    durations[-1] += 65 - durations.sum()
    counts = phone_agreement(durations, SRC, TGT, HOP, 1)
    assert counts["frames"] == 60 and counts["same"] < 30 and counts["to_silence"] >= 15
    assert counts["within_one"] >= counts["same"]


def test_pairs_with_other_numbers_of_phones_are_not_matched():
    assert phone_agreement(np.ones(35, dtype=int), SRC, TGT[:-1], HOP, 1) is None


def test_the_diagonal_keeps_both_lengths():
    d = diagonal_durations(7, 11)
    assert len(d) == 7 and d.sum() == 11 and d.min() >= 1


def synthesize(path: Path, voice: str, text: str) -> None:
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
def test_cli_checks_real_alignments_and_logs_what_it_cannot_check(tmp_path, caplog):
    """Two flite voices say one sentence; DTW-like durations beat the diagonal; an unalignable text is skipped."""
    pytest.importorskip("pocketsphinx")
    import soundfile as sf

    from espnet2_vc.utils.audio import resample

    text = {"u1": "the quick brown fox jumps over the lazy dog", "u2": "zqxj vvvrt"}
    for utt in text:
        for voice, side in (("slt", "src"), ("rms", "tgt")):
            synthesize(tmp_path / f"{utt}_{side}.wav", voice, text["u1"])
    for side in ("src", "tgt"):
        (tmp_path / f"{side}.scp").write_text("".join(f"{u} {tmp_path / f'{u}_{side}.wav'}\n" for u in text))
    (tmp_path / "text").write_text("".join(f"{u} {t}\n" for u, t in text.items()))
    (tmp_path / "config.yaml").write_text("feats_extract_conf: {fs: 16000, n_fft: 512, hop_length: 160}\n"
                                          "tts_conf: {reduction_factor: 1}\n")  # fmt: skip
    # The flite voices are 8 kHz and 16 kHz: frames of 10 ms at the rate the config states.
    n = {}
    for side in ("src", "tgt"):
        wav, fs = sf.read(tmp_path / f"u1_{side}.wav")
        n[side] = 1 + len(resample(wav, fs, 16000)) // 160
    durations = "u1 " + " ".join(map(str, diagonal_durations(n["src"], n["tgt"]))) + "\n"
    (tmp_path / "durations").write_text(durations + durations.replace("u1", "u2", 1))
    with caplog.at_level("WARNING"):
        main(["--durations", str(tmp_path / "durations"), "--output_dir", str(tmp_path / "out"), "--n_plots", "0",
              "--text", str(tmp_path / "text"), "--src_scp", str(tmp_path / "src.scp"),
              "--tgt_scp", str(tmp_path / "tgt.scp"), "--vc_config", str(tmp_path / "config.yaml")])  # fmt: skip
    phones = json.loads((tmp_path / "out" / "stats.json").read_text())["phones"]
    assert phones["skipped"] == {"not_aligned": 1} and "u2: not phone-checked (not_aligned)" in caplog.text
    assert phones["durations"]["pairs"] == 1 and phones["durations"]["target_frames"] > 100
    # The durations given are the diagonal itself: both figures are the same, and far from 0 and 1.
    assert phones["durations"] == phones["diagonal"]
    assert 0.1 < phones["durations"]["same_phone"] < 0.95
