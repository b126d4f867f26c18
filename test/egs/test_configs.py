"""Dry run of every VC training config the recipes ship: strict parsing, model building, features."""

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted({p.resolve() for p in ROOT.glob("egs/*/vc1/conf/**/train*.yaml")})


def test_configs_found():
    names = {p.name for p in CONFIGS}
    assert {"train.yaml", "train_debug.yaml", "train_nars2s_24k.yaml"} <= names


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_builds_and_extracts(config):
    from espnet2_vc.tasks.vc import VCTask
    from espnet2_vc.utils.config import mel_config

    args = VCTask.get_parser().parse_args(["--config", str(config), "--output_dir", "unused",
                                           "--collect_stats", "true"])  # fmt: skip
    model = VCTask.build_model(args)
    fs = mel_config(vars(args))["fs"]
    wav = 0.1 * torch.randn(1, fs // 2)
    lengths = torch.tensor([fs // 2])
    feats = model.collect_feats(wav, lengths, wav, lengths)
    hop = args.feats_extract_conf["hop_length"]
    assert feats["src_feats"].shape[1] == 1 + fs // 2 // hop
    for name in ("pitch", "energy"):
        if name in feats:
            assert feats[name].shape[1] == feats["tgt_feats"].shape[1]
