"""Teacher durations: the merged teacher config, and extraction from a (tiny, untrained) VTN end to end."""

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from espnet2_vc.bin import extract_durations as cli
from espnet2_vc.durations.teacher import teacher_train_config
from espnet2_vc.utils.kaldi import read_scp

FS, HOP, R = 8000, 80, 2
STUDENT = dict(
    feats_extract="fbank", feats_extract_conf=dict(fs=FS, n_fft=256, hop_length=HOP, n_mels=20, fmin=0, fmax=4000),
    trim_conf=dict(trim=True, trim_db=30.0, trim_margin=0.05), tts="nars2s", tts_conf=dict(reduction_factor=R),
)  # fmt: skip
TEACHER = dict(tts="vtn", tts_conf=dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, eprenet_units=8,
                                        dprenet_units=8, postnet_layers=0))  # fmt: skip


def write_yaml(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def test_teacher_config_takes_the_students_frames(tmp_path):
    merged = teacher_train_config(write_yaml(tmp_path / "t.yaml", TEACHER), write_yaml(tmp_path / "s.yaml", STUDENT))
    assert merged["feats_extract_conf"] == STUDENT["feats_extract_conf"]
    assert merged["trim_conf"] == STUDENT["trim_conf"]
    assert merged["tts_conf"]["reduction_factor"] == R and merged["tts_conf"]["adim"] == 8


@pytest.mark.parametrize("change", [
    {"feats_extract_conf": dict(fs=FS, n_fft=256, hop_length=40, n_mels=20)},
    {"tts_conf": dict(reduction_factor=3)},
])  # fmt: skip
def test_teacher_config_that_disagrees_is_refused(tmp_path, change):
    teacher = {**TEACHER, **change}
    with pytest.raises(ValueError, match="differs from the VC config"):
        teacher_train_config(write_yaml(tmp_path / "t.yaml", teacher), write_yaml(tmp_path / "s.yaml", STUDENT))


@pytest.fixture(scope="module")
def teacher_exp(tmp_path_factory) -> tuple[Path, Path]:
    """A saved tiny VTN (config.yaml + weights) with the student's frames, and the student's config."""
    from espnet2_vc.tasks.vc import VCTask

    root = tmp_path_factory.mktemp("teacher")
    student = write_yaml(root / "student.yaml", STUDENT)
    merged = teacher_train_config(write_yaml(root / "teacher.yaml", TEACHER), student)
    merged.update(normalize=None, tgt_normalize=None)
    args = VCTask.get_parser().parse_args(["--config", str(write_yaml(root / "train.yaml", merged)),
                                           "--output_dir", str(root)])  # fmt: skip
    torch.manual_seed(0)
    model = VCTask.build_model(args)
    write_yaml(root / "config.yaml", vars(args))
    torch.save(model.state_dict(), root / "model.pth")
    return root, student


def write_pairs(root: Path, lengths: list) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    with open(root / "wav.scp", "w") as src, open(root / "tgt_wav.scp", "w") as tgt:
        for i, (ls, lt) in enumerate(lengths):
            for name, n, f in (("src", ls, src), ("tgt", lt, tgt)):
                path = root / f"u{i}_{name}.wav"
                sf.write(path, (0.1 * rng.standard_normal(n)).astype(np.float32), FS)
                f.write(f"u{i} {path}\n")
    return root / "wav.scp", root / "tgt_wav.scp"


def run(teacher_exp, tmp_path, *extra) -> Path:
    exp, student = teacher_exp
    src, tgt = write_pairs(tmp_path, [(4000, 5200), (3000, 2500), (100, 4000)])
    out = tmp_path / "out"
    cli.main(["--method", "teacher", "--vc_config", str(student), "--src_scp", str(src), "--tgt_scp", str(tgt),
              "--output_dir", str(out), "--teacher_config", str(exp / "config.yaml"),
              "--teacher_model", str(exp / "model.pth"), *extra])  # fmt: skip
    return out


def test_durations_fit_the_students_frames_and_focus_rates_are_written(teacher_exp, tmp_path):
    out = run(teacher_exp, tmp_path)
    durations = {k: np.array(v.split(), dtype=int) for k, v in read_scp(out / "durations").items()}
    assert set(durations) == {"u0", "u1"}
    for utt, (ls, lt) in (("u0", (4000, 5200)), ("u1", (3000, 2500))):
        assert durations[utt].size == (1 + ls // HOP) // R
        assert durations[utt].sum() == math.ceil((1 + lt // HOP) / R)
    assert read_scp(out / "skipped")["u2"].startswith("length_ratio")
    rates = {line.split()[0]: line.split()[1:] for line in (out / "focus_rate").read_text().splitlines()}
    assert set(rates) == {"u0", "u1"} and all(0.0 < float(r[0]) <= 1.0 for r in rates.values())


def test_a_focus_rate_threshold_skips_with_its_reason(teacher_exp, tmp_path):
    with pytest.raises(SystemExit, match="every pair was skipped"):
        run(teacher_exp, tmp_path, "--focus_rate_threshold", "1.01")
    skipped = read_scp(tmp_path / "out" / "skipped")
    assert skipped["u0"].startswith("low_focus_rate:") and "< 1.01" in skipped["u0"]


def test_a_teacher_with_other_frames_is_refused(teacher_exp, tmp_path):
    exp, _ = teacher_exp
    other = write_yaml(tmp_path / "other.yaml", {**STUDENT, "tts_conf": dict(reduction_factor=3)})
    with pytest.raises(SystemExit, match="reduction factor"):
        run((exp, other), tmp_path)
