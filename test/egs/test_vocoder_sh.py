"""scripts/vocoder.sh (vc.sh stage 6): its options, and (ESPNET2_VC_SLOW=1, ~1 min) a whole run on a tiny recipe."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "egs" / "TEMPLATE" / "vc1"
FS, HOP, R = 8000, 64, 2


def run(cwd: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", OMP_NUM_THREADS="1")
    return subprocess.run(["bash", "scripts/vocoder.sh", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)  # fmt: skip


def test_help_and_required_options():
    proc = run(TEMPLATE, "--help")
    assert proc.returncode == 0 and "Usage: scripts/vocoder.sh --vc_exp" in proc.stdout
    assert "Error: --vc_exp is required" in run(TEMPLATE, "--vocoder_config", "x.yaml").stdout
    proc = run(TEMPLATE, "--vc_exp", "exp/none", "--vocoder_config", "x.yaml")
    assert proc.returncode == 2 and "Error: exp/none/config.yaml does not exist" in proc.stdout


def make_recipe(root: Path) -> Path:
    """egs/tiny/vc1 with dumped audio, durations (one utterance without) and a tiny VC model."""
    from espnet2_vc.tasks.vc import VCTask

    recipe = root / "egs" / "tiny" / "vc1"
    recipe.mkdir(parents=True)
    for name in ("utils", "path.sh", "scripts"):
        (recipe / name).symlink_to(TEMPLATE / name)
    rng = np.random.default_rng(0)
    for dset, n in (("train", 4), ("dev", 2)):
        raw, dur = recipe / "dump" / "raw" / dset, recipe / "dump" / "durations" / dset
        raw.mkdir(parents=True)
        dur.mkdir(parents=True)
        lines = {k: [] for k in ("wav.scp", "tgt_wav.scp", "tgt_utt2num_samples", "durations")}
        for i in range(n):
            utt = f"{dset}{i}"
            x, y = (0.1 * rng.standard_normal(int(FS * s)).astype(np.float32) for s in (0.5 + 0.1 * i, 0.6))
            sf.write(raw / f"{utt}_src.wav", x, FS, subtype="PCM_16")
            sf.write(raw / f"{utt}_tgt.wav", y, FS, subtype="PCM_16")
            ns, nt = (1 + len(x) // HOP) // R, math.ceil((1 + len(y) // HOP) / R)
            d = np.full(ns, nt // ns)
            d[: nt - d.sum()] += 1
            lines["wav.scp"].append(f"{utt} {raw / f'{utt}_src.wav'}")
            lines["tgt_wav.scp"].append(f"{utt} {raw / f'{utt}_tgt.wav'}")
            lines["tgt_utt2num_samples"].append(f"{utt} {len(y)}")
            if i != 1:  # like an utterance stage 4 skipped
                lines["durations"].append(f"{utt} {' '.join(map(str, d))}")
        for name, text in lines.items():
            ((dur if name == "durations" else raw) / name).write_text("\n".join(text) + "\n")
        (raw / ".done").write_text("test\n")
    exp = recipe / "exp" / "vc_train_tiny"
    exp.mkdir(parents=True)
    (exp / "conf.yaml").write_text(yaml.safe_dump(dict(
        feats_extract="fbank", feats_extract_conf=dict(fs=FS, n_fft=256, hop_length=HOP, n_mels=20, fmin=0, fmax=4000),
        normalize=None, tgt_normalize=None, tts="nars2s",
        tts_conf=dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=1, postnet_chans=4,
                      reduction_factor=R, duration_predictor_chans=4, use_pitch=False, use_energy=False),
    )))  # fmt: skip
    args = VCTask.get_parser().parse_args(["--config", str(exp / "conf.yaml"), "--output_dir", str(exp)])
    import torch

    torch.save(VCTask.build_model(args).state_dict(), exp / "valid.loss.best.pth")
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    (recipe / "conf").mkdir()
    (recipe / "conf" / "voc.yaml").write_text(yaml.safe_dump(dict(
        generator_conf=dict(channels=8, upsample_scales=[8, 8], upsample_kernel_sizes=[16, 16],
                            resblock_kernel_sizes=[3], resblock_dilations=[[1, 3]]),
        discriminator="hifigan_multi_period",
        discriminator_conf=dict(periods=[2], discriminator_params=dict(channels=2, max_downsample_channels=4)),
        model_conf=dict(segment_size=512), batch_type="unsorted", batch_size=2, num_iters_per_epoch=2, max_epoch=1,
        optim="adam", optim2="adam", num_workers=0, use_matplotlib=False,
        best_model_criterion=[["valid", "generator_mel_loss", "min"]],
    )))  # fmt: skip
    return recipe


@pytest.mark.skipif(not os.environ.get("ESPNET2_VC_SLOW"), reason="~1 min; set ESPNET2_VC_SLOW=1")
def test_whole_run(tmp_path):
    """Ground truth → GTA decoding (utterances without durations left out) → fine-tuning; a rerun skips all."""
    recipe = make_recipe(tmp_path)
    args = ["--vc_exp", "exp/vc_train_tiny", "--vocoder_config", "conf/voc.yaml", "--nj", "2", "--ngpu", "0"]
    proc = run(recipe, *args, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    gta = recipe / "exp" / "vc_train_tiny" / "decode_gta_valid.loss.best"
    assert [ln.split()[0] for ln in (gta / "train" / "denorm" / "feats.scp").read_text().splitlines()] == \
        ["train0", "train2", "train3"]  # fmt: skip
    for name in ("voc_voc_gt", "voc_voc_gta"):
        assert (recipe / "exp" / name / "latest.pth").exists()
        assert yaml.safe_load((recipe / "exp" / name / "config.yaml").read_text())["mel"]["hop_length"] == HOP
    assert "Loading pretrained params from exp/voc_voc_gt/latest.pth" in \
        (recipe / "exp" / "voc_voc_gta" / "train.log").read_text()  # fmt: skip
    again = run(recipe, *args)
    assert again.returncode == 0 and again.stdout.count("is up to date (.done); skipped") == 4
