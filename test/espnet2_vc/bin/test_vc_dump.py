"""Stage 2 (``espnet2_vc.bin.vc_dump``): resampling, edge-only trimming, filters, dropped report, spk2sid."""

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
import soundfile as sf

from espnet2_vc.bin.vc_dump import main
from espnet2_vc.data.dump import DumpSettings, dump_set
from espnet2_vc.data.trim import trim_edges
from espnet2_vc.utils.kaldi import read_kaldi as read_map

FS_IN = 8000


def tone(seconds: float, fs: int = FS_IN, freq: float = 220.0, amp: float = 0.5) -> np.ndarray:
    """A sine wave (float32)."""
    t = np.arange(int(seconds * fs)) / fs
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, fs: int = FS_IN) -> np.ndarray:
    """Near-silence: faint noise, 60 dB below the tones."""
    return (5e-4 * np.random.default_rng(0).standard_normal(int(seconds * fs))).astype(np.float32)


def write_wav(path: Path, wav: np.ndarray, fs: int = FS_IN) -> str:
    """Write a 16-bit wav and return its path."""
    sf.write(str(path), wav, fs, subtype="PCM_16")
    return str(path)


def make_data_dir(
    root: Path,
    pairs: Dict[str, Tuple[np.ndarray, np.ndarray]],
    spks: Tuple[str, str] = ("alice", "bob"),
    extra_lines: Optional[Dict[str, List[str]]] = None,
) -> Path:
    """A ``data/<set>/`` folder with one source/target pair per utterance id."""
    data = root / "data"
    (root / "audio").mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    files: Dict[str, List[str]] = {name: [] for name in ("wav.scp", "tgt_wav.scp", "utt2spk", "utt2tgt_spk", "text")}
    for utt, (src, tgt) in sorted(pairs.items()):
        files["wav.scp"].append(f"{utt} {write_wav(root / 'audio' / f'{utt}_src.wav', src)}")
        files["tgt_wav.scp"].append(f"{utt} {write_wav(root / 'audio' / f'{utt}_tgt.wav', tgt)}")
        files["utt2spk"].append(f"{utt} {spks[0]}")
        files["utt2tgt_spk"].append(f"{utt} {spks[1]}")
        files["text"].append(f"{utt} some words for {utt}")
    for name, lines in (extra_lines or {}).items():
        files[name] += lines
    for name, lines in files.items():
        (data / name).write_text("".join(f"{line}\n" for line in sorted(lines)))
    return data


def test_trim_keeps_the_middle_silence() -> None:
    """Only the edges go: a pause between two words stays, and a margin is kept around the speech."""
    fs = 16000
    wav = np.concatenate([silence(0.5, fs), tone(0.3, fs), silence(0.4, fs), tone(0.3, fs), silence(0.6, fs)])
    start, end = trim_edges(wav, fs, trim_db=40.0, margin=0.05)
    # Speech from 0.5 to 1.5 s; 50 ms margins, edges known to within one 25 ms frame.
    assert 0.42 * fs <= start <= 0.45 * fs
    assert 1.55 * fs <= end <= 1.58 * fs
    assert end - start > int(1.0 * fs)  # 0.3 + 0.4 + 0.3 s: the pause is still there


def test_trim_of_silent_and_tiny_signals() -> None:
    """A silent signal has nothing to keep; a signal shorter than a frame is handled."""
    assert trim_edges(np.zeros(16000, dtype=np.float32), 16000, 40.0, 0.05) == (0, 0)
    assert trim_edges(np.zeros(0, dtype=np.float32), 16000, 40.0, 0.05) == (0, 0)
    assert trim_edges(tone(0.01, 16000), 16000, 40.0, 0.05) == (0, 160)


def test_dump_set(tmp_path: Path) -> None:
    """Resampling, trimming, every filter and the dropped report on one set; spk2sid reused for another."""
    speech = np.concatenate([silence(0.3), tone(0.5), silence(0.3), tone(0.5), silence(0.3)])
    pairs = {
        "u1_ok": (speech, np.concatenate([speech, tone(0.2)])),
        "u2_short": (tone(0.1), tone(1.0)),
        "u3_long": (tone(5.0), tone(5.0)),
        "u4_ratio": (tone(0.6), tone(2.5)),
        "u5_silent": (np.zeros(8000, dtype=np.float32), tone(1.0)),
    }
    extra = {
        "wav.scp": ["u6_missing /nonexistent/x.wav", "u7_no_target /nonexistent/y.wav"],
        "tgt_wav.scp": ["u6_missing /nonexistent/x.wav"],
        "utt2spk": ["u6_missing alice", "u7_no_target alice"],
        "utt2tgt_spk": ["u6_missing bob", "u7_no_target bob"],
    }
    data = make_data_dir(tmp_path / "train", pairs, extra_lines=extra)
    out = tmp_path / "dump" / "train"
    settings = DumpSettings(fs=16000, min_dur=0.3, max_dur=4.0, max_ratio=3.0)
    kept, dropped = dump_set(data, out, settings, nj=2)
    assert (kept, dropped) == (1, 6)

    reasons = read_map(out / "dropped")
    assert reasons["u2_short"].startswith("too_short: source")
    assert reasons["u3_long"].startswith("too_long")
    assert reasons["u4_ratio"].startswith("length_ratio")
    assert reasons["u5_silent"].startswith("silent: source")
    assert reasons["u6_missing"] == "missing: source audio /nonexistent/x.wav: no such file"
    assert reasons["u7_no_target"] == "id_mismatch: missing from tgt_wav.scp"

    wav, fs = sf.read(read_map(out / "wav.scp")["u1_ok"], dtype="int16")
    assert fs == 16000 and wav.dtype == np.int16
    n_src = int(read_map(out / "utt2num_samples")["u1_ok"])
    assert len(wav) == n_src
    # 8 kHz → 16 kHz doubles the length; trimming removed ~0.25 s per edge but kept the middle pause.
    assert 1.3 * 16000 < n_src < 1.5 * 16000
    assert int(read_map(out / "tgt_utt2num_samples")["u1_ok"]) > n_src
    assert read_map(out / "text") == {"u1_ok": "some words for u1_ok"}
    assert read_map(out / "spk2sid") == {"alice": "0", "bob": "1"}
    assert read_map(out / "utt2src_sid") == {"u1_ok": "0"}
    assert read_map(out / "utt2tgt_sid") == {"u1_ok": "1"}
    assert not (tmp_path / "dump" / "train.tmp").exists()

    # Another set reuses the training set's ids, even with the speakers in the other direction.
    dev = make_data_dir(tmp_path / "dev", {"d1": (speech, speech)}, spks=("bob", "alice"))
    dump_set(dev, tmp_path / "dump" / "dev", settings, spk2sid_path=out / "spk2sid")
    assert read_map(tmp_path / "dump" / "dev" / "utt2src_sid") == {"d1": "1"}
    assert read_map(tmp_path / "dump" / "dev" / "spk2sid") == {"alice": "0", "bob": "1"}

    # A speaker the training set does not have is an error that names it.
    unseen = make_data_dir(tmp_path / "eval", {"e1": (speech, speech)}, spks=("alice", "carol"))
    with pytest.raises(ValueError, match="carol"):
        dump_set(unseen, tmp_path / "dump" / "eval", settings, spk2sid_path=out / "spk2sid")


def test_cli_reads_fs_and_trimming_from_config_and_fails_clearly(tmp_path: Path) -> None:
    """``--vc_config`` gives the rate and the trimming; bad input exits with a message, not a traceback."""
    speech = np.concatenate([silence(0.5), tone(1.0), silence(0.5)])
    data = make_data_dir(tmp_path / "set", {"a": (speech, speech)})
    config = tmp_path / "train.yaml"
    config.write_text("feats_extract: fbank\nfeats_extract_conf:\n  fs: 22050\n  n_fft: 1024\n")
    main(["--data_dir", str(data), "--output_dir", str(tmp_path / "out"), "--vc_config", str(config)])
    trimmed = sf.info(read_map(tmp_path / "out" / "wav.scp")["a"])
    assert trimmed.samplerate == 22050 and trimmed.duration < 1.3
    untrimmed = tmp_path / "untrimmed.yaml"
    untrimmed.write_text(config.read_text() + "trim_conf:\n  trim: false\n")
    main(["--data_dir", str(data), "--output_dir", str(tmp_path / "out1"), "--vc_config", str(untrimmed)])
    assert sf.info(read_map(tmp_path / "out1" / "wav.scp")["a"]).duration == pytest.approx(2.0, abs=0.01)

    with pytest.raises(SystemExit, match="every utterance was dropped"):
        main(["--data_dir", str(data), "--output_dir", str(tmp_path / "out2"), "--vc_config", str(config),
              "--min_dur", "5"])  # fmt: skip
    with pytest.raises(SystemExit, match="missing"):
        main(["--data_dir", str(tmp_path), "--output_dir", str(tmp_path / "out3"), "--vc_config", str(config)])
    with pytest.raises(SystemExit, match="differs"):
        main(["--data_dir", str(data), "--output_dir", str(tmp_path / "out4"), "--vc_config", str(config),
              "--fs", "16000"])  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text(config.read_text() + "trim_conf:\n  trim_dB: 30\n")
    with pytest.raises(SystemExit, match="unknown key.*trim_dB"):
        main(["--data_dir", str(data), "--output_dir", str(tmp_path / "out5"), "--vc_config", str(bad)])
