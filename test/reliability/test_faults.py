"""Faults a long run meets: a folder it cannot write, a disk without space; found before the first stage."""

import subprocess
from pathlib import Path

import pytest

RECIPE = Path(__file__).resolve().parents[2] / "egs" / "mini_flite" / "vc1"


def vc_sh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["./vc.sh", "--stage", "1", "--stop_stage", "1", *args], cwd=RECIPE, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize("option", ["--expdir", "--dumpdir"])
def test_an_unwritable_folder_stops_the_recipe_before_any_stage(option):
    proc = vc_sh(option, "/proc/espnet2_vc_unwritable")  # not even root can create it
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot write to /proc/espnet2_vc_unwritable/" in proc.stdout
    assert "Stage 1" not in proc.stdout


def test_a_full_disk_stops_the_recipe_before_any_stage(tmp_path):
    proc = vc_sh("--expdir", str(tmp_path / "exp"), "--dumpdir", str(tmp_path / "dump"), "--min_free_mb", "999999999")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "MB free, less than 999999999 MB (--min_free_mb)" in proc.stdout and "Stage 1" not in proc.stdout


def test_a_stage_whose_input_stage_did_not_finish_stops_naming_it(tmp_path):
    """A killed stage 2 leaves no .done: stage 3 refuses its half-written lists instead of reading them."""
    (tmp_path / "dump" / "raw" / "train").mkdir(parents=True)
    (tmp_path / "dump" / "raw" / "train" / "wav.scp").write_text("u1 /half/written.wav\n")
    proc = subprocess.run(["./vc.sh", "--stage", "3", "--stop_stage", "3", "--train_config", "conf/train_debug.yaml",
                           "--dumpdir", str(tmp_path / "dump"), "--expdir", str(tmp_path / "exp")],
                          cwd=RECIPE, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{tmp_path}/dump/raw/train is missing or unfinished (no .done); run stage 2 first" in proc.stdout
    assert not (tmp_path / "exp" / "vc_stats").exists()


def test_decoding_an_unfinished_training_by_default_is_refused(tmp_path):
    """A killed stage 5 leaves checkpoints but no .done: stage 7 does not silently decode latest.pth."""
    exp = tmp_path / "exp" / "vc_train_x"
    exp.mkdir(parents=True)
    (exp / "latest.pth").write_bytes(b"")
    proc = subprocess.run(["./vc.sh", "--stage", "7", "--stop_stage", "7", "--train_config", "conf/train_debug.yaml",
                           "--dumpdir", str(tmp_path / "dump"), "--expdir", str(tmp_path / "exp"), "--tag", "x"],
                          cwd=RECIPE, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "has no finished training (no .done); re-run stage 5 (it resumes)" in proc.stdout + proc.stderr
