"""Recipe shell files: short run.sh files, relative symlinks, shellcheck, the option parser and job runner."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[2]
EGS = ROOT / "egs"
TEMPLATE = EGS / "TEMPLATE" / "vc1"
RECIPES = sorted(p.parent for p in EGS.glob("*/vc1/run.sh"))
# Real shell files (symlinks are checked through their target), each with the folder to check it from.
SHELL_FILES = sorted(
    {p.resolve() for p in EGS.glob("*/vc1/**/*.sh") if "downloads" not in p.parts and "exp" not in p.parts}
    | {ROOT / "tools" / "install.sh"}
)


def test_recipes_found() -> None:
    """The four corpora have a recipe."""
    assert {p.parent.name for p in RECIPES} >= {"mini_flite", "arctic", "jvs", "jsut_jsss"}


@pytest.mark.parametrize("run_dir", RECIPES, ids=lambda p: p.parent.name)
def test_recipe_layout(run_dir: Path) -> None:
    """run.sh holds corpus settings only (≤ 50 lines); shared parts are relative symlinks to TEMPLATE."""
    assert len((run_dir / "run.sh").read_text().splitlines()) <= 50
    assert os.access(run_dir / "run.sh", os.X_OK) and os.access(run_dir / "local" / "data.sh", os.X_OK)
    for name in ("vc.sh", "utils", "path.sh", "scripts"):
        link = run_dir / name
        assert link.is_symlink() and os.readlink(link) == f"../../TEMPLATE/vc1/{name}", name
        assert link.resolve() == (TEMPLATE / name).resolve()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck() -> None:
    """Every shell file passes ``shellcheck -x`` (run from its recipe folder, where it is sourced from)."""
    failures: List[str] = []
    for path in SHELL_FILES:
        cwd = next((p for p in path.parents if p.name == "vc1"), ROOT)
        proc = subprocess.run(["shellcheck", "-x", str(path)], cwd=cwd, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            failures.append(proc.stdout)
    assert not failures, "\n".join(failures)


def run_bash(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run a bash snippet from the TEMPLATE folder."""
    return subprocess.run(
        ["bash", "-c", script, "test", *args], cwd=TEMPLATE, capture_output=True, text=True, timeout=30
    )


PARSE = 'set -euo pipefail; stage=1; flag=false; args=""; . utils/parse_options.sh; echo "$stage|$flag|$args|$*"'


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--stage", "3", "--flag", "true", "rest"], "3|true||rest"),
        (["--stage=4", "--args", "--x 1 --y=2"], "4|false|--x 1 --y=2|"),
        ([], "1|false||"),
    ],
)
def test_parse_options(argv: List[str], expected: str) -> None:
    """Options set existing variables, --a=b works, the first non-option ends parsing."""
    proc = run_bash(PARSE, *argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


@pytest.mark.parametrize(
    "argv, message",
    [(["--nope", "1"], "invalid option --nope"), (["--flag", "yes"], "true or false"), (["--stage"], "needs a value")],
)
def test_parse_options_errors(argv: List[str], message: str) -> None:
    """Unknown options, non-boolean values for booleans and missing values are errors."""
    proc = run_bash(PARSE, *argv)
    assert proc.returncode != 0 and message in proc.stderr


def test_run_jobs(tmp_path: Path) -> None:
    """JOB is substituted in the log and the arguments; a failed job fails the whole run and is named."""
    ok = run_bash(f'utils/run_jobs.sh JOB=1:3 {tmp_path}/ok.JOB.log sh -c "echo out JOB"')
    assert ok.returncode == 0, ok.stderr
    assert "out 2" in (tmp_path / "ok.2.log").read_text()
    bad = run_bash(f'utils/run_jobs.sh --max_jobs 1 JOB=1:3 {tmp_path}/bad.JOB.log sh -c "test JOB != 2"')
    assert bad.returncode != 0 and "bad.2.log" in bad.stderr and "1 of 3 jobs failed" in bad.stderr


@pytest.mark.parametrize("force, settings, skipped",
                         [("false", "a", True), ("false", "b", False), ("true", "a", False)])
def test_is_done_removes_the_marker_of_a_step_it_redoes(tmp_path: Path, force: str, settings: str,
                                                        skipped: bool) -> None:
    """A step being redone has no .done from its previous run: a kill half-way cannot leave a stale marker."""
    (tmp_path / ".done").write_text("a\n")
    proc = run_bash(f'force={force}; . scripts/common.sh; is_done {tmp_path} {settings} && echo skip || echo redo')
    assert proc.stdout.strip().endswith("skip" if skipped else "redo"), proc.stdout + proc.stderr
    assert (tmp_path / ".done").exists() == skipped


@pytest.mark.parametrize("config, name", [("generator: vocos\ngenerator_conf: {}\n", "vocos"),
                                          ("generator: hifigan\n", "hifigan"), ("seed: 0\n", "hifigan")])
def test_vocoder_name_is_the_trained_generator(tmp_path: Path, config: str, name: str) -> None:
    """Stage 7 decodes with --vocoder <the generator of the vocoder's config.yaml> (hifigan when it names none)."""
    (tmp_path / "config.yaml").write_text(config)
    proc = run_bash(f". scripts/common.sh; vocoder_name {tmp_path}/latest.pth")
    assert proc.returncode == 0 and proc.stdout.strip() == name, proc.stdout + proc.stderr


def test_trim_conf_only_in_the_config_file() -> None:
    """Stage 2 trims by the config file, so vc.sh refuses a trim_conf given in --train_args (before any work)."""
    proc = subprocess.run(
        ["./vc.sh", "--train_config", "conf/train_debug.yaml", "--train_args", "--trim_conf trim_db=35",
         "--stage", "2", "--stop_stage", "2"],
        cwd=ROOT / "egs" / "mini_flite" / "vc1", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "set trim_conf in conf/train_debug.yaml, not in --train_args" in proc.stdout + proc.stderr


@pytest.mark.parametrize("mapping, lines", [("", ["awb 0", "slt 1"]),
                                            ("kathleen=slt,fraser=awb", ["awb 0", "fraser 0", "slt 1", "kathleen 1"])])
def test_alias_speakers_gives_new_speakers_the_ids_of_pretrained_ones(tmp_path: Path, mapping: str,
                                                                      lines: List[str]) -> None:
    """Fine-tuning a many-to-many model: NEW=OLD adds NEW under OLD's id and keeps the model's own speakers."""
    (tmp_path / "spk2sid").write_text("awb 0\nslt 1\n")
    proc = run_bash(f'. scripts/common.sh; alias_speakers {tmp_path}/spk2sid "{mapping}"')
    assert proc.returncode == 0 and proc.stdout.splitlines() == lines, proc.stdout + proc.stderr


@pytest.mark.parametrize("mapping, message", [("fraser=bdl", "bdl is not a speaker of"), ("fraser", "is not NEW=OLD")])
def test_alias_speakers_refuses_an_unknown_speaker(tmp_path: Path, mapping: str, message: str) -> None:
    """An old name the model lacks (or a malformed pair) is one error listing what the model has."""
    (tmp_path / "spk2sid").write_text("awb 0\nslt 1\n")
    proc = run_bash(f'. scripts/common.sh; alias_speakers {tmp_path}/spk2sid "{mapping}"')
    assert proc.returncode != 0 and message in proc.stderr
    assert mapping != "fraser=bdl" or "(it has: awb slt)" in proc.stderr


def run_vc_sh(*args: str) -> subprocess.CompletedProcess:
    """vc.sh from the mini recipe with nothing to run (stage 2 > stop stage 1): only its option checks."""
    argv = ["./vc.sh", "--train_config", "conf/train_debug.yaml", "--stage", "2", "--stop_stage", "1", *args]
    return subprocess.run(argv, cwd=EGS / "mini_flite" / "vc1", capture_output=True, text=True, timeout=120)


def test_pretrained_needs_a_finished_model(tmp_path: Path) -> None:
    """--pretrained names a model folder without .done: refused before any work."""
    proc = run_vc_sh("--pretrained", str(tmp_path), "--dumpdir", str(tmp_path / "dump"))
    assert proc.returncode == 2 and f"--pretrained {tmp_path} has no finished model" in proc.stdout + proc.stderr


def test_pretrained_many_to_many_keeps_its_speaker_table(tmp_path: Path) -> None:
    """A many-to-many model's spk2sid (with the aliases) becomes the speaker table of every set."""
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / ".done").write_text("x\n")
    (exp / "spk2sid").write_text("awb 0\nslt 1\n")
    (exp / "config.yaml").write_text("tts_conf:\n    spks: 2\n")
    proc = run_vc_sh("--pretrained", str(exp), "--pretrained_speakers", "kathleen=slt", "--dumpdir", f"{tmp_path}/d")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "d" / "spk2sid.pretrained").read_text() == "awb 0\nslt 1\nkathleen 1\n"
    (exp / "spk2sid").unlink()  # a one-to-one model has no speakers to alias
    proc = run_vc_sh("--pretrained", str(exp), "--pretrained_speakers", "kathleen=slt", "--dumpdir", f"{tmp_path}/d")
    assert proc.returncode == 2 and "needs a many-to-many model" in proc.stdout + proc.stderr


def test_list_audio_lists_wav_and_flac_with_the_prefix(tmp_path: Path) -> None:
    """scripts/list_audio.sh: "<id> <path>" of DIR/PREFIX*.{wav,flac}, sorted; subfolders and other files left out."""
    for name in ("B_02.flac", "B_01.wav", "A_01.wav", "B_03.txt", "sub/B_00.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    script = str(TEMPLATE / "scripts" / "list_audio.sh")
    out = subprocess.run([script, str(tmp_path), "B_"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"B_01 {tmp_path}/B_01.wav", f"B_02 {tmp_path}/B_02.flac"]
    everything = subprocess.run([script, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in everything.splitlines()] == ["A_01", "B_01", "B_02"]
    missing = subprocess.run([script, str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 1 and "nope is not a folder" in missing.stderr
