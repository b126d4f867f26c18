"""Bad audio, driven through the real entry points: stage 2 (``vc_dump``), ``VoiceConverter`` and
``vc_inference``. Each case gets one clear error naming the input and what is wrong, or a logged skip with
its reason; nothing already written is lost. doc/reliability.md holds the table these tests check."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from espnet2_vc import VoiceConverter
from espnet2_vc.bin import vc_dump, vc_inference
from espnet2_vc.utils.audio import AudioError, as_waveform, load_audio
from espnet2_vc.utils.kaldi import read_kaldi

FS = 8000  # the tiny_exp model's rate


def speech(seconds: float, seed: int = 0, fs: int = FS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    return (0.3 * np.sin(2 * np.pi * 150 * t) * (1 + 0.2 * rng.standard_normal(len(t)))).astype(np.float32)


def with_nan(wav: np.ndarray) -> np.ndarray:
    wav = wav.copy()
    wav[100] = np.nan
    wav[200] = np.inf
    return wav


@pytest.fixture(scope="module")
def vc(tiny_exp) -> VoiceConverter:
    return VoiceConverter.from_pretrained(tiny_exp, vocoder=None)


# --- in memory: VoiceConverter -------------------------------------------------------------------------------

@pytest.mark.parametrize("wav, fs, reason, message", [
    (with_nan(speech(1.0)), None, "non_finite", r"2 of 8000 samples are NaN or inf \(the first at sample 100\)"),
    (np.zeros(0, np.float32), None, "no_samples", "no samples"),
    (speech(0.01), None, "too_short", r"10 ms, shorter than one analysis window \(n_fft 256 = 32 ms\)"),
    (np.zeros((2, 2, FS), np.float32), None, "shape", r"shape \(2, 2, 8000\)"),
    (np.zeros((FS, 20), np.float32), None, "shape", "no channel axis of at most 8"),
    (np.array(["a", "b"]), None, "dtype", "dtype <U1"),
    (speech(1.0), 0, "rate", "sampling rate 0"),
    (speech(1.0), -16000, "rate", "sampling rate -16000"),
    (np.zeros(FS, np.float32), None, "silent", "the input is silent"),
], ids=["nan_inf", "empty", "10ms", "3d", "no_channel_axis", "text", "fs_0", "fs_negative", "silent"])  # fmt: skip
def test_converter_refuses_with_one_clear_error(vc, wav, fs, reason, message):
    with pytest.raises(AudioError, match=message) as err:
        vc(wav, fs)
    assert err.value.reason == reason


def test_converter_takes_stereo_either_way_round_and_scales_integer_pcm(vc):
    mono = speech(1.0)
    want = vc(mono)["feat_gen_denorm"]
    stereo = np.stack([mono, mono], axis=1)  # (n, 2), as soundfile reads
    torch.testing.assert_close(vc(stereo)["feat_gen_denorm"], want)
    torch.testing.assert_close(vc(torch.from_numpy(stereo.T.copy()))["feat_gen_denorm"], want)  # (2, n), torchaudio
    pcm16 = np.round(mono * 32768).astype(np.int16)
    np.testing.assert_allclose(as_waveform(pcm16), mono, atol=1 / 32768)
    torch.testing.assert_close(vc(pcm16)["feat_gen_denorm"], want, atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(as_waveform(np.array([0, 128, 255], np.uint8)), [-1.0, 0.0, 127 / 128])


def test_converter_resamples_a_44k1_input(vc):
    out = vc(speech(1.0, fs=44100), 44100)
    assert out["feat_gen_denorm"].shape[1] == 20 and torch.isfinite(out["feat_gen_denorm"]).all()


# --- files: the reader, stage 2 ------------------------------------------------------------------------------

def test_the_reader_names_a_missing_file_and_nan_samples(tmp_path):
    with pytest.raises(AudioError, match="gone.wav: no such file") as err:
        load_audio(tmp_path / "gone.wav")
    assert err.value.reason == "missing"
    sf.write(tmp_path / "nan.wav", with_nan(speech(0.5)), FS, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav: 2 of 4000 samples are NaN or inf") as err:
        load_audio(tmp_path / "nan.wav")
    assert err.value.reason == "non_finite"


def write_pairs(root: Path, bad: dict) -> Path:
    """A data dir of 4 pairs; ``bad`` maps an utt id to how its source file is broken."""
    data = root / "data"
    (root / "wav").mkdir(parents=True)
    data.mkdir()
    lines = {"wav.scp": [], "tgt_wav.scp": [], "utt2spk": [], "utt2tgt_spk": [], "text": []}
    for i in range(4):
        utt = f"u{i}"
        src, tgt = root / "wav" / f"{utt}_src.wav", root / "wav" / f"{utt}_tgt.wav"
        sf.write(tgt, speech(1.2, 10 + i), FS, subtype="FLOAT")
        kind = bad.get(utt)
        if kind == "nan":
            sf.write(src, with_nan(speech(1.0, i)), FS, subtype="FLOAT")
        elif kind == "clipped":
            sf.write(src, np.clip(speech(1.0, i) * 8, -1, 1), FS, subtype="FLOAT")
        elif kind == "text":
            src.write_text("this is not audio\n")
        elif kind != "missing":
            sf.write(src, speech(1.0, i), FS, subtype="FLOAT")
        lines["wav.scp"].append(f"{utt} {src}")
        lines["tgt_wav.scp"].append(f"{utt} {tgt}")
        lines["utt2spk"].append(f"{utt} a")
        lines["utt2tgt_spk"].append(f"{utt} b")
        lines["text"].append(f"{utt} hello")
    for name, rows in lines.items():
        (data / name).write_text("\n".join(rows) + "\n")
    return data


def test_stage2_drops_each_bad_pair_with_its_reason_and_keeps_the_rest(tmp_path, tiny_exp, caplog):
    data = write_pairs(tmp_path, {"u0": "clipped", "u1": "nan", "u2": "missing", "u3": "text"})
    out = tmp_path / "dump"
    vc_dump.main(["--data_dir", str(data), "--output_dir", str(out), "--fs", str(FS), "--nj", "1",
                  "--vc_config", str(tiny_exp / "config.yaml"), "--min_dur", "0.1"])  # fmt: skip
    dropped = read_kaldi(out / "dropped")
    assert set(read_kaldi(out / "wav.scp")) == {"u0"}
    assert dropped["u1"].startswith("non_finite: source audio") and "2 of 8000 samples are NaN" in dropped["u1"]
    assert dropped["u2"].startswith("missing: source audio") and "no such file" in dropped["u2"]
    assert dropped["u3"].startswith("unreadable: source audio")
    # Clipped audio is kept, with a warning naming the file.
    assert any("kept u0, but source audio" in r.message and "% of the samples are clipped" in r.message
               for r in caplog.records)  # fmt: skip


def test_converter_warns_about_clipped_input_and_converts_it(vc, caplog):
    out = vc(np.clip(speech(1.0) * 8, -1, 1))
    assert torch.isfinite(out["feat_gen_denorm"]).all()
    assert any("the input:" in r.message and "clipped" in r.message for r in caplog.records)


# --- the CLI: one bad file among good ones ---------------------------------------------------------------------

def test_cli_converts_the_good_files_lists_the_bad_and_exits_1(tmp_path, tiny_exp):
    files = {}
    for name, wav in (("good", speech(1.0)), ("nan", with_nan(speech(1.0))), ("short", speech(0.01))):
        files[name] = tmp_path / f"{name}.wav"
        sf.write(files[name], wav, FS, subtype="FLOAT")
    (tmp_path / "text.wav").write_text("not audio")
    out = tmp_path / "out"
    wavs = [arg for f in [*files.values(), tmp_path / "text.wav"] for arg in ("--wav", str(f))]
    with pytest.raises(SystemExit, match="3 utterance") as err:
        vc_inference.main(["--train_config", str(tiny_exp / "config.yaml"), "--model_file",
                           str(tiny_exp / "valid.loss.best.pth"), "--vocoder", "none", "--output_dir", str(out),
                           *wavs])  # fmt: skip
    assert "not converted" in str(err.value)
    assert set(read_kaldi(out / "denorm" / "feats.scp")) == {"good"}
    assert read_kaldi(out / "failed")["short"].startswith("too_short:")
    unread = read_kaldi(out / "input" / "failed")
    assert unread["nan"].startswith("non_finite:") and unread["text"].startswith("unreadable:")


def test_cli_on_a_data_dir_converts_around_unreadable_files(tmp_path, tiny_exp):
    """espnet's loader would stop the whole job at a corrupt file: it is left out and listed instead."""
    (tmp_path / "wav").mkdir()
    lines = []
    for utt, kind in (("a_good", "good"), ("b_text", "text"), ("c_missing", "missing"), ("d_good", "good")):
        path = tmp_path / "wav" / f"{utt}.wav"
        if kind == "good":
            sf.write(path, speech(1.0), FS, subtype="PCM_16")
        elif kind == "text":
            path.write_text("not audio")
        lines.append(f"{utt} {path}")
    (tmp_path / "wav.scp").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    with pytest.raises(SystemExit, match="2 utterance"):
        vc_inference.main(["--train_config", str(tiny_exp / "config.yaml"), "--model_file",
                           str(tiny_exp / "valid.loss.best.pth"), "--vocoder", "none", "--output_dir", str(out),
                           "--data_path_and_name_and_type", f"{tmp_path / 'wav.scp'},src_speech,sound"])  # fmt: skip
    assert set(read_kaldi(out / "denorm" / "feats.scp")) == {"a_good", "d_good"}
    failed = read_kaldi(out / "failed")
    assert failed["b_text"].startswith("unreadable:") and failed["c_missing"].startswith("missing:")


def test_cli_on_an_empty_data_dir_says_so(tmp_path, tiny_exp):
    (tmp_path / "wav.scp").write_text("")
    with pytest.raises(SystemExit, match="no '<utt_id> <path>' line; is it an empty data dir"):
        vc_inference.main(["--train_config", str(tiny_exp / "config.yaml"), "--model_file",
                           str(tiny_exp / "valid.loss.best.pth"), "--vocoder", "none", "--output_dir",
                           str(tmp_path / "out"), "--data_path_and_name_and_type",
                           f"{tmp_path / 'wav.scp'},src_speech,sound"])  # fmt: skip
