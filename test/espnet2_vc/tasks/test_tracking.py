"""wandb (offline) runs of a tiny training: name, table, summary, and what a resumed training does."""

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from espnet2_vc.bin import vc_train

from ..bin.test_vc_train_inference import data_dir, data_opts  # noqa: F401  (the fixture)

pytest.importorskip("wandb")


def train(data: Path, *extra: str) -> None:
    vc_train.main([
        "--config", str(data / "train.yaml"), "--output_dir", "exp_wb", "--use_wandb", "true", "--resume", "true",
        "--normalize", "none", "--tgt_normalize", "none", "--pitch_normalize", "none", "--energy_normalize", "none",
        "--train_shape_file", str(data / "keys"), "--valid_shape_file", str(data / "keys"),
        *data_opts(data, "train"), *data_opts(data, "valid"),
        "--use_matplotlib", "true", "--num_att_plot", "1", "--plot_interval", "1", *extra,
    ])  # fmt: skip


def runs(exp: Path) -> dict:
    """Offline run folders by run id."""
    return {p.name.rsplit("-", 1)[-1]: p for p in (exp / "wandb").glob("offline-run-*")}


def test_an_offline_run_its_table_summary_and_resumptions(data_dir, tmp_path, monkeypatch, caplog):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    caplog.set_level(logging.INFO)
    exp = Path("exp_wb")
    train(data_dir, "--max_epoch", "1")
    first = json.loads((exp / "wandb_run.json").read_text())
    assert first["name"] == "exp_wb" and list(runs(exp)) == [first["id"]]
    files = runs(exp)[first["id"]] / "files"
    tables = list((files / "media" / "table").glob("dev conversions_*.table.json"))
    assert len(tables) == 1
    table = json.loads(tables[0].read_text())
    assert table["columns"] == ["utt", "epoch", "mel", "converted"]
    assert table["data"] == [["utt0", 1, "Image", "Audio"]]  # how wandb 0.31 writes media cells offline

    # The best valid values for the summary come from the reporter the checkpoint holds.
    import wandb

    from espnet2_vc.tasks.trainer import VCTrainer

    class Run:
        summary: dict = {}

    monkeypatch.setattr(wandb, "run", Run())
    options = SimpleNamespace(output_dir="exp_wb", best_model_criterion=[["valid", "loss", "min"]])
    VCTrainer._summarize(options)
    assert set(Run.summary) == {"best_valid_loss", "best_valid_loss_epoch"}
    assert Run.summary["best_valid_loss_epoch"] == 1
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")

    # Trained on, same config (only max_epoch grows): the same run continues.
    train(data_dir, "--max_epoch", "2")
    again = json.loads((exp / "wandb_run.json").read_text())
    assert again["id"] == first["id"] and list(runs(exp)) == [first["id"]]

    # Resumed with another config: a new run, named after the first one, instead of a config error.
    train(data_dir, "--max_epoch", "3", "--optim_conf", "lr=0.0005")
    third = json.loads((exp / "wandb_run.json").read_text())
    assert third["id"] != first["id"] and set(runs(exp)) == {first["id"], third["id"]}
    assert third["restarts"] == 2 and third["name"] == "exp_wb"
    assert "starting a new run exp_wb-2" in caplog.text
