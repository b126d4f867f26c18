import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile

from espnet2_vc.bin import extract_durations as cli
from espnet2_vc.durations.extract import AlignSettings, SampleRateError, extract_durations
from espnet2_vc.utils.kaldi import read_scp

FS, HOP, R = 16000, 128, 2
CONFIG = (
    "feats_extract: fbank\n"
    f"feats_extract_conf: {{fs: {FS}, n_fft: 512, hop_length: {HOP}, n_mels: 20}}\n"
    "tts: nars2s\n"
    f"tts_conf: {{reduction_factor: {R}}}\n"
)


def make_settings(**kw) -> AlignSettings:
    base = {
        "fs": FS,
        "n_fft": 512,
        "hop_length": HOP,
        "win_length": 512,
        "fmin": 80,
        "fmax": 7600,
        "reduction_factor": R,
    }
    base.update(kw)
    return AlignSettings(**base)


def tone(seconds: float, f0: float = 150.0, seed: int = 0) -> np.ndarray:
    """Gliding harmonic tone with a little noise (n,)."""
    t = np.arange(int(seconds * FS)) / FS
    f = f0 * (1 + 0.5 * t / max(seconds, 1e-3))
    phase = 2 * np.pi * np.cumsum(f) / FS
    wav = sum(np.sin(k * phase) / k for k in range(1, 8)) + 0.01 * np.random.default_rng(seed).normal(size=len(t))
    return (0.1 * wav).astype(np.float32)


def write_set(root: Path, src: dict[str, np.ndarray], tgt: dict[str, np.ndarray], fs: int | None = None):
    """Write wavs plus ``wav.scp``/``tgt_wav.scp`` under ``root``; return the two scp paths."""
    scps = []
    for name, wavs in (("wav.scp", src), ("tgt_wav.scp", tgt)):
        lines = []
        for utt, wav in sorted(wavs.items()):
            path = root / f"{name[:-4]}_{utt}.wav"
            soundfile.write(path, wav, fs or FS)
            lines.append(f"{utt} {path}\n")
        (root / name).write_text("".join(lines))
        scps.append(root / name)
    return scps


def read_durations(path: Path) -> dict[str, np.ndarray]:
    return {line.split()[0]: np.array(line.split()[1:], dtype=int) for line in path.read_text().splitlines()}


def test_extract_writes_sorted_durations_and_skips(tmp_path, caplog):
    src = {
        "b": tone(0.5),
        "a": tone(0.4, 180),
        "empty": np.zeros(0, np.float32),
        "long": tone(0.1),
        "only_src": tone(0.2),
    }
    tgt = {"b": tone(0.8, 120), "a": tone(0.3), "empty": tone(0.2), "long": tone(1.0), "only_tgt": tone(0.2)}
    src_scp, tgt_scp = write_set(tmp_path, src, tgt)
    with caplog.at_level(logging.WARNING):
        n_done, n_skipped = extract_durations(src_scp, tgt_scp, tmp_path / "out", make_settings())
    assert (n_done, n_skipped) == (2, 4)
    lines = (tmp_path / "out" / "durations").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["a", "b"]
    for utt, durations in read_durations(tmp_path / "out" / "durations").items():
        ns = (1 + len(src[utt]) // HOP) // R
        nt = -(-(1 + len(tgt[utt]) // HOP) // R)
        assert len(durations) == ns and durations.sum() == nt and durations.min() >= 0
    skipped = dict(line.split(" ", 1) for line in (tmp_path / "out" / "skipped").read_text().splitlines())
    assert sorted(skipped) == ["empty", "long", "only_src", "only_tgt"]
    assert skipped["empty"].startswith("empty:")
    assert skipped["long"].startswith("length_ratio:")
    assert skipped["only_src"].startswith("missing_target:")
    assert skipped["only_tgt"].startswith("missing_source:")
    assert "skipped long: length_ratio" in caplog.text
    assert not list((tmp_path / "out").glob(".*tmp*"))


def test_parallel_output_matches_serial(tmp_path):
    src = {f"u{i:02d}": tone(0.3 + 0.05 * i, 100 + 10 * i, seed=i) for i in range(6)}
    tgt = {f"u{i:02d}": tone(0.4 + 0.03 * i, 140, seed=10 + i) for i in range(6)}
    src_scp, tgt_scp = write_set(tmp_path, src, tgt)
    extract_durations(src_scp, tgt_scp, tmp_path / "nj1", make_settings(), nj=1)
    extract_durations(src_scp, tgt_scp, tmp_path / "nj2", make_settings(), nj=2)
    for name in ("durations", "skipped"):
        assert (tmp_path / "nj1" / name).read_text() == (tmp_path / "nj2" / name).read_text()


def test_sample_rate_mismatch_names_the_file(tmp_path):
    src_scp, tgt_scp = write_set(tmp_path, {"a": tone(0.3)}, {"a": tone(0.3)}, fs=8000)
    with pytest.raises(SampleRateError, match=r"wav_a\.wav: sampling rate 8000 Hz.*fs=16000; resample"):
        extract_durations(src_scp, tgt_scp, tmp_path / "out", make_settings())


def test_all_skipped_is_an_error_but_writes_reasons(tmp_path):
    src_scp, tgt_scp = write_set(tmp_path, {"a": tone(0.01)}, {"b": tone(0.3)})
    with pytest.raises(RuntimeError, match="every pair was skipped"):
        extract_durations(src_scp, tgt_scp, tmp_path / "out", make_settings())
    assert (tmp_path / "out" / "skipped").read_text().count("\n") == 2
    assert (tmp_path / "out" / "durations").read_text() == ""


def test_too_short_source_is_skipped(tmp_path):
    # 100 samples -> 1 frame, fewer than r=2: nothing to give durations to.
    src_scp, tgt_scp = write_set(tmp_path, {"a": tone(0.3), "s": tone(100 / FS)}, {"a": tone(0.3), "s": tone(0.01)})
    extract_durations(src_scp, tgt_scp, tmp_path / "out", make_settings())
    assert (tmp_path / "out" / "skipped").read_text().startswith("s too_short:")


def test_read_scp_rejects_bad_lines(tmp_path):
    (tmp_path / "x.scp").write_text("a /x.wav\na /y.wav\n")
    with pytest.raises(ValueError, match="duplicate utterance id a"):
        read_scp(tmp_path / "x.scp")
    (tmp_path / "x.scp").write_text("lonely\n")
    with pytest.raises(ValueError, match=r"x\.scp:1: expected"):
        read_scp(tmp_path / "x.scp")


def test_main_exits_nonzero_when_everything_is_skipped(tmp_path):
    (tmp_path / "config.yaml").write_text(CONFIG)
    src_scp, tgt_scp = write_set(tmp_path, {"a": tone(0.3)}, {"a": tone(2.0)})
    args = ["--vc_config", str(tmp_path / "config.yaml"), "--src_scp", str(src_scp), "--tgt_scp", str(tgt_scp)]
    with pytest.raises(SystemExit, match="every pair was skipped"):
        cli.main(args + ["--output_dir", str(tmp_path / "out")])
    cli.main(args + ["--output_dir", str(tmp_path / "out"), "--max_length_ratio", "10"])
    assert (tmp_path / "out" / "durations").read_text().startswith("a ")


def test_main_with_a_real_vc_config(tmp_path):
    pytest.importorskip("espnet2_vc.tasks.vc")
    (tmp_path / "config.yaml").write_text(CONFIG)
    src_scp, tgt_scp = write_set(tmp_path, {"a": tone(0.5), "b": tone(0.4)}, {"a": tone(0.7, 120), "b": tone(0.4)})
    out = tmp_path / "out"
    cli.main(
        ["--vc_config", str(tmp_path / "config.yaml"), "--src_scp", str(src_scp), "--tgt_scp", str(tgt_scp)]
        + ["--output_dir", str(out), "--nj", "2"]
    )
    durations = read_durations(out / "durations")
    assert sorted(durations) == ["a", "b"]
    assert durations["a"].sum() == -(-(1 + int(0.7 * FS) // HOP) // R)
    assert len(durations["b"]) == (1 + int(0.4 * FS) // HOP) // R
