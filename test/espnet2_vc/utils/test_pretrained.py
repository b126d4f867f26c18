"""--init_param from an exp dir, a packed zip or a checkpoint, with a report; pretrained statistics."""

import argparse
from pathlib import Path

import pytest
import torch
import yaml

from espnet2_vc.tasks.vc import VCTask
from espnet2_vc.utils.pretrained import STATS_NAMES, copy_pretrained_stats, load_pretrained

from ..tasks.test_vc import TINY_TTS, make_args

TABLES = ["tts.src_sid_emb.weight", "tts.tgt_sid_emb.weight"]  # source and target speaker embeddings


def tiny(spks: int = 0, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return VCTask.build_model(make_args(tts_conf=dict(TINY_TTS, spks=spks)))


def saved_exp(root: Path, model: torch.nn.Module) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), root / "valid.loss.ave.pth")
    return root


def test_a_speaker_table_of_another_size_is_skipped_and_reported_the_rest_loaded(tmp_path: Path) -> None:
    pretrained, model = tiny(spks=3, seed=0), tiny(spks=4, seed=1)
    tables_before = [model.state_dict()[k].clone() for k in TABLES]
    exp = saved_exp(tmp_path / "exp", pretrained)
    with pytest.raises(ValueError, match=rf"{TABLES[0]} \(\[3, 8\] in the file, \[4, 8\] here\).*"
                                         "--ignore_init_mismatch true"):  # fmt: skip
        load_pretrained(str(exp), model, ignore_init_mismatch=False)
    report = load_pretrained(str(exp), model, ignore_init_mismatch=True)
    assert report.mismatched == [(k, (3, 8), (4, 8)) for k in TABLES]
    for key, before in zip(TABLES, tables_before):
        assert torch.equal(model.state_dict()[key], before)  # kept at its initial values
    theirs = pretrained.state_dict()
    assert set(report.loaded) == set(theirs) - set(TABLES) and report.kept == report.unexpected == []
    assert all(torch.equal(model.state_dict()[k], theirs[k]) for k in report.loaded)
    assert "skipped 2 of another shape" in report.summary() and TABLES[1] in report.summary()


def test_excluded_prefixes_keep_this_models_values(tmp_path: Path) -> None:
    pretrained, model = tiny(seed=0), tiny(seed=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    exp = saved_exp(tmp_path / "exp", pretrained)
    report = load_pretrained(f"{exp}/valid.loss.ave.pth:::tts.encoder,tts.decoder", model, ignore_init_mismatch=False)
    assert report.excluded and all(k.startswith(("tts.encoder", "tts.decoder")) for k in report.excluded)
    assert report.kept == report.excluded
    assert all(torch.equal(model.state_dict()[k], before[k]) for k in report.excluded)
    assert all(torch.equal(model.state_dict()[k], pretrained.state_dict()[k]) for k in report.loaded)


def test_a_packed_zip_loads_completely(tiny_exp: Path, tiny_pack: Path) -> None:
    model, _ = VCTask.build_model_from_file(tiny_exp / "config.yaml", None)
    report = load_pretrained(str(tiny_pack), model, ignore_init_mismatch=False)
    assert report.kept == [] and report.mismatched == [] and report.unexpected == []
    saved = torch.load(tiny_exp / "valid.loss.best.pth", weights_only=True)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())


def test_an_exp_dir_without_a_checkpoint_is_named(tmp_path: Path) -> None:
    missing = "no valid.loss.ave.pth, valid.loss.best.pth or latest.pth in it"
    with pytest.raises(FileNotFoundError, match=f"--init_param .*: {missing}"):
        load_pretrained(str(tmp_path), tiny(), ignore_init_mismatch=False)


@pytest.mark.parametrize("source", ["exp", "zip"])
def test_pretrained_stats_are_the_ones_the_fine_tuning_normalizes_with(tiny_exp: Path, tiny_pack: Path,
                                                                       tmp_path: Path, source: str) -> None:
    copied = copy_pretrained_stats(tiny_exp if source == "exp" else tiny_pack, tiny_exp / "config.yaml", tmp_path)
    assert {p.name for p in copied.values()} <= set(STATS_NAMES.values()) and "normalize_conf" in copied
    # A model normalizing with the copies gives the pretrained model's normalized features.
    pretrained, _ = VCTask.build_model_from_file(tiny_exp / "config.yaml", None)
    args = yaml.safe_load((tiny_exp / "config.yaml").read_text())
    for key, path in copied.items():
        args[key] = dict(args[key], stats_file=str(path))
    tuned = VCTask.build_model(argparse.Namespace(**args))
    x, lengths = torch.randn(2, 30, 20), torch.tensor([30, 21])
    for name in ("src_normalize", "tgt_normalize"):
        ours, theirs = getattr(tuned, name)(x.clone(), lengths)[0], getattr(pretrained, name)(x.clone(), lengths)[0]
        assert torch.equal(ours, theirs), name


def test_pretrained_stats_of_other_mels_are_refused(tiny_exp: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((tiny_exp / "config.yaml").read_text())
    config["feats_extract_conf"]["hop_length"] = 64
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match="trained on other mels than .*hop_length 80 vs 64"):
        copy_pretrained_stats(tiny_exp, tmp_path / "other.yaml", tmp_path / "out")


def test_the_cli_copies_or_exits_with_the_reason(tiny_exp: Path, tmp_path: Path, capsys) -> None:
    from espnet2_vc.bin import pretrained_stats

    pretrained_stats.main(["--pretrained", str(tiny_exp), "--vc_config", str(tiny_exp / "config.yaml"),
                           "--output_dir", str(tmp_path / "out")])  # fmt: skip
    assert f"normalize_conf: {tmp_path / 'out' / 'src_feats_stats.npz'}" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="pretrained_stats: --pretrained_stats .*nowhere: no such checkpoint"):
        pretrained_stats.main(["--pretrained", str(tmp_path / "nowhere"), "--vc_config",
                               str(tiny_exp / "config.yaml"), "--output_dir", str(tmp_path / "out2")])  # fmt: skip
