"""Pack → unpack → convert (hostile packs: test/reliability/test_untrusted_packs.py)."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from espnet2_vc import VoiceConverter
from espnet2_vc.bin import vc_inference
from espnet2_vc.utils.audio import resample

FS = 8000


@pytest.fixture(scope="module")
def exp_dir(tiny_exp) -> Path:
    """A tiny trained-looking experiment at 8 kHz (test/conftest.py)."""
    return tiny_exp


@pytest.fixture(scope="module")
def packed(tiny_pack) -> Path:
    """tiny_exp packed with a results.md (test/conftest.py)."""
    return tiny_pack


def test_pack_round_trip_equals_exp_dir(exp_dir, packed, tmp_path):
    wav = np.random.default_rng(1).normal(0, 0.1, FS).astype(np.float32)
    want = VoiceConverter.from_pretrained(exp_dir, vocoder=None)(wav)
    got = VoiceConverter.from_pretrained(packed, cache_dir=tmp_path / "cache", vocoder=None)(wav)
    assert torch.equal(want["feat_gen_denorm"], got["feat_gen_denorm"])
    assert torch.equal(want["duration"], got["duration"])
    names = zipfile.ZipFile(packed).namelist()
    assert {"meta.yaml", "manifest.json", "README.md", "vc/config.yaml", "vc/model.pth"} <= set(names)
    readme = zipfile.ZipFile(packed).read("README.md").decode()
    assert "| hop_length | 80 |" in readme and "MCD | 7.1" in readme
    # The stats were rewritten to the extracted copies, not the original exp dir.
    config = yaml.safe_load((tmp_path / "cache" / "vc" / "config.yaml").read_text())
    assert config["normalize_conf"]["stats_file"] == str((tmp_path / "cache" / "stats" / "normalize.npz").resolve())


def test_call_resamples_input(exp_dir):
    vc = VoiceConverter.from_pretrained(exp_dir, vocoder="griffin_lim", vocoder_conf=dict(griffin_lim_iters=1))
    wav16 = torch.from_numpy(np.random.default_rng(2).normal(0, 0.1, 16000).astype(np.float32))
    out = vc(wav16, 16000)
    # The package's one resampler (soxr), as for files.
    assert torch.equal(out["feat_gen_denorm"], vc(resample(wav16.numpy(), 16000, FS))["feat_gen_denorm"])
    assert out["wav"].ndim == 1 and out["wav"].numel() > 0 and vc.fs == FS


def test_cli_converts_wavs_with_a_pack(packed, tmp_path):
    import soundfile as sf

    sf.write(tmp_path / "a.wav", np.random.default_rng(3).normal(0, 0.1, 16000).astype(np.float32), 16000)
    out = tmp_path / "out"
    vc_inference.main(["--model_file", str(packed), "--wav", str(tmp_path / "a.wav"), "--output_dir", str(out),
                       "--vocoder_conf", "griffin_lim_iters=1"])  # fmt: skip
    assert (out / "wav" / "a.wav").exists() and "a " in (out / "denorm" / "feats.scp").read_text()
