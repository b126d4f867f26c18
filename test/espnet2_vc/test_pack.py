"""Pack → unpack → convert, and packs from strangers that must be refused."""

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from espnet2_vc import VoiceConverter
from espnet2_vc.bin import vc_inference, vc_pack
from espnet2_vc.pack import UnsafePackError, unpack_model
from espnet2_vc.utils.audio import resample

FS = 8000


@pytest.fixture(scope="module")
def exp_dir(tiny_exp) -> Path:
    """A tiny trained-looking experiment at 8 kHz (test/conftest.py)."""
    return tiny_exp


@pytest.fixture(scope="module")
def packed(exp_dir) -> Path:
    results = exp_dir / "results.md"
    results.write_text("| metric | value |\n| --- | --- |\n| MCD | 7.1 |\n")
    out = exp_dir / "packed" / "model.zip"
    vc_pack.main(["--train_config", str(exp_dir / "config.yaml"), "--model_file",
                  str(exp_dir / "valid.loss.best.pth"), "--outpath", str(out), "--results_md", str(results)])
    return out


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


def _repack(packed: Path, dest: Path, edit) -> Path:
    """A copy of ``packed`` with members changed by ``edit(dict) -> dict`` (manifest left as is unless edited)."""
    with zipfile.ZipFile(packed) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members = edit(members)
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def _with_manifest(members):
    import hashlib

    members["manifest.json"] = json.dumps(
        {k: hashlib.sha256(v).hexdigest() for k, v in members.items() if k != "manifest.json"}).encode()
    return members


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/espnet2_vc_pwned",))


@pytest.mark.parametrize("case, error, message", [
    ("slip", UnsafePackError, "outside the target folder"),
    ("absolute", UnsafePackError, "outside the target folder"),
    ("altered", UnsafePackError, "checksum of vc/model.pth differs"),
    ("unlisted", UnsafePackError, "members not in its manifest"),
    ("not_a_pack", ValueError, "not an espnet2_vc model pack"),
])  # fmt: skip
def test_hostile_packs_are_refused(packed, tmp_path, case, error, message):
    edits = {
        "slip": lambda m: _with_manifest({**m, "../evil.txt": b"x"}),
        "absolute": lambda m: _with_manifest({**m, "/tmp/evil.txt": b"x"}),
        "altered": lambda m: {**m, "vc/model.pth": m["vc/model.pth"] + b"\0"},
        "unlisted": lambda m: {**m, "extra.py": b"print(1)"},
        "not_a_pack": lambda m: {"hello.txt": b"hi"},
    }
    bad = _repack(packed, tmp_path / "bad.zip", edits[case])
    with pytest.raises(error, match=message):
        unpack_model(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pth"))


def test_pickle_payload_is_refused(packed, tmp_path):
    buf = io.BytesIO()
    torch.save({"weights": Payload()}, buf)
    bad = _repack(packed, tmp_path / "bad.zip", lambda m: _with_manifest({**m, "vc/model.pth": buf.getvalue()}))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        VoiceConverter.from_pretrained(bad, cache_dir=tmp_path / "out", vocoder=None)
    assert not Path("/tmp/espnet2_vc_pwned").exists()


def test_text_file_is_not_a_pack(tmp_path):
    (tmp_path / "model.zip").write_text("not a zip")
    with pytest.raises(ValueError, match="is not a zip file"):
        VoiceConverter.from_pretrained(tmp_path / "model.zip")
