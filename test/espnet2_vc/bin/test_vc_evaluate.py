import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from espnet2_vc.bin import vc_evaluate as cli

FS = 16000


def voice(seconds: float = 1.0, f0_scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Harmonic signal with a gliding F0, moving formants and a noise floor (n,)."""
    n = int(seconds * FS)
    u = np.arange(n) / n
    knots = np.linspace(0, 1, 9)
    f1 = np.interp(u, knots, np.random.default_rng(seed).uniform(300, 900, 9))
    f0 = (130 + 30 * np.sin(2 * np.pi * u)) * f0_scale
    phase = 2 * np.pi * np.cumsum(f0) / FS
    wav = sum(
        (np.exp(-(((k * f0 - f1) / 150) ** 2)) + 0.05) * np.sin(k * phase) * (k * f0 < 6000) for k in range(1, 40)
    )
    # A noise floor well above 16-bit quantization, band-limited (below 6 kHz) like the harmonics, so that
    # resampling (whose filters cut near Nyquist) keeps the spectrum.
    noise = soxr.resample(np.random.default_rng(99).normal(size=n * 3 // 4), FS * 3 // 4, FS)[:n]
    return 0.1 * wav / np.abs(wav).max() + 1e-3 * noise


@pytest.fixture(scope="module")
def set_dir(tmp_path_factory) -> dict[str, Path]:
    """dump/raw/eval and decode/eval: utt1 converted = the target itself at 22.05 kHz, utt2 = a pitch-shifted
    target, utt3 converted file missing, utt4 not converted."""
    root = tmp_path_factory.mktemp("set")
    dump, decode = root / "dump" / "raw" / "eval", root / "decode" / "eval"
    (dump / "data").mkdir(parents=True)
    (decode / "wav").mkdir(parents=True)
    utts = ["utt1", "utt2", "utt3", "utt4"]
    for i, utt in enumerate(utts):
        sf.write(dump / "data" / f"{utt}_src.wav", voice(seed=10 + i, f0_scale=1.5), FS)
        sf.write(dump / "data" / f"{utt}_tgt.wav", voice(seed=i), FS)
    sf.write(decode / "wav" / "utt1.wav", soxr.resample(voice(seed=0), FS, 22050), 22050)
    sf.write(decode / "wav" / "utt2.wav", voice(seed=1, f0_scale=2 ** (2 / 12)), FS)
    (dump / "wav.scp").write_text("".join(f"{u} {dump}/data/{u}_src.wav\n" for u in utts))
    (dump / "tgt_wav.scp").write_text("".join(f"{u} {dump}/data/{u}_tgt.wav\n" for u in utts))
    (dump / "utt2tgt_spk").write_text("".join(f"{u} bob\n" for u in utts))
    (decode / "wav.scp").write_text("".join(f"{u} {decode}/wav/{u}.wav\n" for u in utts[:3]))
    (decode / "rtf").write_text("utt1 0.0100\nutt2 0.0300\nutt3 0.5\n")
    return {"dump": dump, "decode": decode}


def run(set_dir: dict[str, Path], out: Path, *extra: str) -> dict:
    dump, decode = set_dir["dump"], set_dir["decode"]
    cli.main(
        [
            f"--converted_scp={decode}/wav.scp",
            f"--target_scp={dump}/tgt_wav.scp",
            f"--source_scp={dump}/wav.scp",
            f"--rtf={decode}/rtf",
            f"--output_dir={out}",
            "--f0_method=dio",
            "--no_progress",
            *extra,
        ]
    )
    return json.loads((out / "results.json").read_text())


def test_evaluate_set(set_dir, tmp_path):
    res = run(set_dir, tmp_path / "eval", "--metrics=mcd,f0,duration")
    assert res["counts"] == {"listed": 4, "evaluated": 2, "skipped": 2}
    assert res["skipped"]["utt3"].startswith("unreadable: converted audio")
    assert res["skipped"]["utt4"].startswith("not_converted:")
    utt1, utt2 = res["utterances"]["utt1"]["converted"], res["utterances"]["utt2"]["converted"]
    assert utt1["mcd"] < 0.5 and utt1["f0_rmse"] < 2.0  # the target itself, resampled from 22.05 kHz
    assert abs(utt1["log_dur_ratio"]) < 0.02
    assert 10.0 < utt2["f0_rmse"] < 25.0 and utt2["mcd"] < 4.0  # 2 semitones up from ~130 Hz: ~16 Hz
    assert res["utterances"]["utt1"]["source"]["mcd"] > utt2["mcd"] + 1.0  # another voice
    assert res["settings"]["eval_fs_used"] == [FS]
    assert res["summary"]["rtf"]["converted"]["mean"] == pytest.approx(0.02)
    assert res["summary"]["mcd"]["converted"]["mean"] == pytest.approx((utt1["mcd"] + utt2["mcd"]) / 2)
    md = (tmp_path / "eval" / "results.md").read_text()
    assert f"| MCD [dB] ↓ | converted | {(utt1['mcd'] + utt2['mcd']) / 2:.2f} ± " in md
    html = (tmp_path / "eval" / "index.html").read_text()
    assert html.count("<audio") == 6 and (tmp_path / "eval" / "samples" / "utt2" / "converted.png").is_file()


def test_parallel_jobs_give_the_same_numbers(set_dir, tmp_path):
    one = run(set_dir, tmp_path / "one", "--metrics=mcd,f0", "--nj=1", "--max_samples_on_page=0")
    two = run(set_dir, tmp_path / "two", "--metrics=mcd,f0", "--nj=2", "--max_samples_on_page=0")
    assert one["utterances"] == two["utterances"] and one["skipped"] == two["skipped"]
    assert "<audio" not in (tmp_path / "two" / "index.html").read_text()


def test_speaker_metric(set_dir, tmp_path):
    pytest.importorskip("resemblyzer")
    res = run(set_dir, tmp_path / "eval", "--metrics=speaker", "--max_samples_on_page=0")
    conv = res["utterances"]["utt1"]["converted"]
    assert set(conv) == {"spk_cos_tgt", "spk_cos_src", "rtf"}
    assert all(-1.0 <= v <= 1.0 for v in conv.values() if v != conv["rtf"])
    assert res["summary"]["spk_cos_tgt"]["target"]["n"] == 2  # the evaluated utterances, leave-one-out


def test_errors(set_dir, tmp_path):
    with pytest.raises(SystemExit, match="unknown metric"):
        run(set_dir, tmp_path / "a", "--metrics=mcd,mos")
    empty = tmp_path / "empty.scp"
    empty.write_text("utt3 /nonexistent.wav\n")
    with pytest.raises(SystemExit, match="no utterance could be evaluated"):
        cli.main([f"--converted_scp={empty}", f"--target_scp={set_dir['dump']}/tgt_wav.scp",
                  f"--output_dir={tmp_path / 'b'}", "--metrics=mcd", "--no_progress"])  # fmt: skip


def test_analysis_synthesis_row(set_dir, tmp_path):
    """``--analysis_scp`` is scored against the target like the converted audio, in a row of its own."""
    dump = set_dir["dump"]
    (tmp_path / "analysis").mkdir()
    # utt1: the target itself (a perfect vocoder); utt2: a missing file (a value error, not a skip).
    (tmp_path / "analysis.scp").write_text(f"utt1 {dump}/data/utt1_tgt.wav\nutt2 {tmp_path}/nothing.wav\n")
    res = run(set_dir, tmp_path / "eval", "--metrics=mcd,f0", f"--analysis_scp={tmp_path}/analysis.scp")
    assert res["counts"]["evaluated"] == 2
    assert res["utterances"]["utt1"]["analysis"]["mcd"] < 0.01
    assert "analysis" not in res["utterances"]["utt2"]
    assert any(e.startswith("utt2: analysis: unreadable") for e in res["errors"])
    assert res["summary"]["mcd"]["analysis"]["n"] == 1
    md = (tmp_path / "eval" / "results.md").read_text()
    assert "| MCD [dB] ↓ | analysis-synthesis (target mels → vocoder) | 0.00" in md
    html = (tmp_path / "eval" / "index.html").read_text()
    assert (tmp_path / "eval" / "samples" / "utt1" / "analysis.wav").is_file() and "<th>analysis</th>" in html
