"""The many-to-many mini recipe end to end on three flite voices: six directions, one model, speakers by name."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from espnet2_vc.utils.kaldi import read_kaldi

pytestmark = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")


@pytest.fixture(scope="module")
def m2m_run(recipe_copy, tmp_path_factory):
    recipe = recipe_copy(tmp_path_factory.mktemp("m2m"), "mini_flite_m2m")
    shutil.copy(Path(__file__).resolve().parents[2] / "egs" / "mini_flite_m2m" / "vc1" / "run.sh", recipe)
    args = ["--local_data_opts", "--speakers slt,rms,awb --pairs all --num_sentences 14 --n_dev 2 --n_eval 2",
            "--train_args", "--tts_conf spks=3 --max_epoch 4", "--eval_args", "--metrics mcd,speaker"]  # fmt: skip
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", OMP_NUM_THREADS="1")
    proc = subprocess.run(["./run.sh", *args], cwd=recipe, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return recipe


def test_every_direction_is_trained_and_evaluated(m2m_run):
    dev = read_kaldi(m2m_run / "data" / "dev" / "utt2spk")
    tgt = read_kaldi(m2m_run / "data" / "dev" / "utt2tgt_spk")
    assert len({(dev[u], tgt[u]) for u in dev}) == 6 and len(dev) == 12  # 2 sentences x 6 directions
    exp = m2m_run / "exp" / "vc_train_m2m_debug"
    assert read_kaldi(exp / "spk2sid") == {"awb": "0", "rms": "1", "slt": "2"}
    results = json.loads((exp / "decode_valid.loss.ave" / "eval" / "eval" / "results.json").read_text())
    table = results["by_direction"]
    assert len(table) == 7 and "slt -> awb" in table and "awb -> slt" in table  # six and their mean
    assert all("converted" in d["mcd"] and "spk_cos_other" in d for d in table.values())


def test_the_pack_converts_by_speaker_name(m2m_run, tmp_path):
    pack = m2m_run / "exp" / "vc_train_m2m_debug" / "packed" / "model.zip"
    assert "vc/spk2sid" in zipfile.ZipFile(pack).namelist()
    wav = next((m2m_run / "downloads" / "mini_flite" / "slt").glob("*.wav"))
    base = [sys.executable, "-m", "espnet2_vc.bin.vc_inference", "--model_file", str(pack), "--wav", str(wav),
            "--vocoder", "none", "--src_spk", "slt"]  # fmt: skip
    ok = subprocess.run([*base, "--tgt_spk", "awb", "--output_dir", str(tmp_path / "ok")], capture_output=True,
                        text=True, timeout=120)  # fmt: skip
    assert ok.returncode == 0, ok.stderr[-2000:]
    bad = subprocess.run([*base, "--tgt_spk", "kal16", "--output_dir", str(tmp_path / "bad")], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert bad.returncode != 0 and "unknown speaker 'kal16'; this model knows: awb, rms, slt" in bad.stderr
