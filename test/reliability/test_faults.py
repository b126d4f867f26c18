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
