"""Dry run of every VC training config the recipes ship: strict parsing, model building, features."""

from pathlib import Path

import pytest
import torch
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted({p.resolve() for p in ROOT.glob("egs/*/vc1/conf/**/train*.yaml")})


class UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (plain safe_load keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"keys given twice: {twice}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


ALL_CONFIGS = sorted({p.resolve() for p in ROOT.glob("egs/*/vc1/conf/**/*.yaml")})


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_states_each_key_once(config):
    yaml.load(config.read_text(), Loader=UniqueKeyLoader)


def test_a_key_given_twice_is_found():
    with pytest.raises(yaml.constructor.ConstructorError, match="given twice"):
        yaml.load("a:\n  b: 1\n  b: 2\n", Loader=UniqueKeyLoader)


def test_configs_found():
    names = {p.name for p in CONFIGS}
    assert {"train.yaml", "train_cpu.yaml", "train_debug.yaml", "train_nars2s_24k.yaml"} <= names


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_states_its_batch_and_schedule(config):
    """Batches in pairs; with a warmup, the run length in steps, and a warmup well inside it."""
    conf = yaml.safe_load(config.read_text())
    if conf.get("batch_type") != "sorted":
        assert conf.get("batch_type") == "numel", "a batch is stated in pairs (sorted) or in samples (numel)"
        return
    assert isinstance(conf["batch_size"], int)
    warmup = (conf.get("scheduler_conf") or {}).get("warmup_steps")
    if warmup is not None:
        steps = conf["num_iters_per_epoch"] * conf["max_epoch"]
        assert warmup <= steps / 4, f"warmup {warmup} of {steps} steps"


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


TEACHERS = sorted({p.resolve() for p in ROOT.glob("egs/*/vc1/conf/**/teacher*.yaml")})


def test_teacher_configs_found():
    assert {"teacher_vtn_cpu.yaml", "teacher_debug.yaml"} <= {p.name for p in TEACHERS}


@pytest.mark.parametrize("teacher", TEACHERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_teacher_config_builds_with_each_student_of_its_recipe(teacher, tmp_path):
    """Merged with every train config of its recipe (vc.sh stage 4), a teacher parses strictly and builds a VTN
    with the student's frames."""
    from espnet2_vc.durations.teacher import teacher_train_config
    from espnet2_vc.tasks.vc import VCTask
    from espnet2_vc.utils.config import mel_config, reduction_factor

    test_config_states_its_batch_and_schedule(teacher)
    students = [p for p in CONFIGS if p.parent == teacher.parent]
    assert students, f"{teacher} has no train config beside it"
    for student in students:
        merged = tmp_path / f"{student.stem}.yaml"
        merged.write_text(yaml.safe_dump(teacher_train_config(teacher, student)))
        args = VCTask.get_parser().parse_args(["--config", str(merged), "--output_dir", "unused",
                                               "--collect_stats", "true"])  # fmt: skip
        model = VCTask.build_model(args)
        assert type(model.tts).__name__ == "VTN"
        assert mel_config(vars(args)) == mel_config(student)
        assert model.tts.reduction_factor == reduction_factor(student)
