"""Stage 1 of each recipe (``local/data.sh``) on tiny fake corpora with the real layouts."""

import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pytest
import soundfile as sf

EGS = Path(__file__).resolve().parents[2] / "egs"
TEMPLATE = EGS / "TEMPLATE" / "vc1"


def write_tone(path: Path, fs: int = 16000) -> None:
    """A 0.1 s tone (data preparation never reads the audio, but the files must exist)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), 0.1 * np.sin(np.arange(fs // 10) * 0.1), fs, format=path.suffix[1:].upper())


def recipe(tmp_path: Path, corpus: str) -> Path:
    """A recipe folder in tmp_path that uses the repository's local/, utils/ and scripts/."""
    run_dir = tmp_path / "recipe"
    run_dir.mkdir()
    (run_dir / "local").symlink_to(EGS / corpus / "vc1" / "local")
    for name in ("utils", "scripts"):
        (run_dir / name).symlink_to(TEMPLATE / name)
    return run_dir


def run_data_sh(run_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run local/data.sh with ``args`` and return the finished process (stderr captured)."""
    return subprocess.run(["bash", "local/data.sh", *args], cwd=run_dir, capture_output=True, text=True, timeout=60)


def read_lines(path: Path) -> List[str]:
    """Lines of a text file."""
    return path.read_text(encoding="utf-8").splitlines()


def check_data_dirs(run_dir: Path, sizes: Dict[str, int], prefix: str) -> None:
    """Every set has the doc/data.md files, sorted, with the same utterance ids and ``sizes`` pairs."""
    all_ids: List[str] = []
    for name, size in sizes.items():
        data = run_dir / "data" / name
        ids = [line.split(" ")[0] for line in read_lines(data / "wav.scp")]
        assert len(ids) == size, name
        assert ids == sorted(ids) and all(i.startswith(prefix) for i in ids)
        for fname in ("tgt_wav.scp", "utt2spk", "utt2tgt_spk", "text"):
            assert [line.split(" ")[0] for line in read_lines(data / fname)] == ids, fname
        for fname in ("wav.scp", "tgt_wav.scp"):
            assert all(Path(line.split(" ", 1)[1]).is_file() for line in read_lines(data / fname))
        assert not (run_dir / "data" / f"{name}.tmp").exists()
        all_ids += ids
    assert len(set(all_ids)) == len(all_ids)


def fake_arctic(root: Path, spk: str, ids: Sequence[str], ext: str) -> None:
    """cmu_us_<spk>_arctic/{wav/<id>.<ext>, etc/txt.done.data}."""
    base = root / f"cmu_us_{spk}_arctic"
    for i in ids:
        write_tone(base / "wav" / f"{i}.{ext}")
    (base / "etc").mkdir(parents=True)
    lines = [f'( {i} "Sentence number {n}, with a comma." )' for n, i in enumerate(ids)]
    (base / "etc" / "txt.done.data").write_text("\n".join(lines) + "\n")


def test_arctic(tmp_path: Path) -> None:
    """slt (wav) → bdl (flac, one sentence missing): pairs by id, 10% / 10% split, skips listed."""
    ids = [f"arctic_a{n:04d}" for n in range(1, 13)] + [f"arctic_b{n:04d}" for n in range(1, 9)]
    fake_arctic(tmp_path / "db", "slt", ids, "wav")
    fake_arctic(tmp_path / "db", "bdl", [i for i in ids if i != "arctic_a0003"], "flac")
    run_dir = recipe(tmp_path, "arctic")
    args = ("--db_root", str(tmp_path / "db"), "--srcspk", "slt", "--tgtspk", "bdl", "--n_dev", "10%", "--n_eval", "2")
    proc = run_data_sh(run_dir, *args)
    assert proc.returncode == 0, proc.stderr
    assert "skip arctic_a0003: no bdl recording" in proc.stderr
    check_data_dirs(run_dir, {"train": 15, "dev": 2, "eval": 2}, "slt_bdl_arctic_")
    assert read_lines(run_dir / "data" / "eval" / "wav.scp")[-1].endswith("/wav/arctic_b0008.wav")
    assert read_lines(run_dir / "data" / "dev" / "tgt_wav.scp")[0].endswith("/wav/arctic_b0005.flac")
    assert read_lines(run_dir / "data" / "train" / "text")[0] == "slt_bdl_arctic_a0001 Sentence number 0, with a comma."
    assert set(read_lines(run_dir / "data" / "train" / "utt2tgt_spk")) >= {"slt_bdl_arctic_a0001 bdl"}

    # Re-running is safe and gives the same result; a speaker that is not there is a clear error.
    before = (run_dir / "data" / "train" / "wav.scp").read_text()
    assert run_data_sh(run_dir, *args).returncode == 0
    assert (run_dir / "data" / "train" / "wav.scp").read_text() == before
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path / "db"), "--srcspk", "rms")
    assert proc.returncode != 0 and "cmu_us_rms_arctic" in proc.stderr


def write_jvs(root: Path, speakers: List[str], n_sentences: int, missing: Tuple[str, str]) -> None:
    """A fake ``root/jvs_ver1`` tree: ``VOICEACTRESS100_001…`` per speaker, transcripts ``文<n>です。``; the
    ``missing`` (speaker, sentence id) has no recording."""
    ids = [f"VOICEACTRESS100_{n:03d}" for n in range(1, n_sentences + 1)]
    for spk in speakers:
        base = root / "jvs_ver1" / spk / "parallel100"
        for i in ids:
            if (spk, i) != missing:
                write_tone(base / "wav24kHz16bit" / f"{i}.wav", fs=24000)
        (base / "transcripts_utf8.txt").write_text("".join(f"{i}:文{n}です。\n" for n, i in enumerate(ids)), "utf-8")


def test_jvs(tmp_path: Path) -> None:
    """jvs010 → jvs030 where jvs030 lacks one sentence; the text comes from the source transcript."""
    write_jvs(tmp_path, ["jvs010", "jvs030"], 20, ("jvs030", "VOICEACTRESS100_007"))
    run_dir = recipe(tmp_path, "jvs")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path), "--srcspk", "jvs010", "--tgtspk", "jvs030",
                       "--n_dev", "3", "--n_eval", "3")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "skip VOICEACTRESS100_007: no jvs030 recording" in proc.stderr
    check_data_dirs(run_dir, {"train": 13, "dev": 3, "eval": 3}, "jvs010_jvs030_VOICEACTRESS100_")
    assert read_lines(run_dir / "data" / "eval" / "text")[-1] == "jvs010_jvs030_VOICEACTRESS100_020 文19です。"


def test_jvs_many_to_many_four_partners(tmp_path: Path) -> None:
    """--speakers all --pairs 4 over six fake speakers: each with four partners, both directions, one split."""
    speakers = [f"jvs{n:03d}" for n in (1, 2, 3, 5, 8, 13)]
    write_jvs(tmp_path, speakers, 8, ("jvs005", "VOICEACTRESS100_002"))
    run_dir = recipe(tmp_path, "jvs")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path), "--speakers", "all", "--pairs", "4",
                       "--n_dev", "2", "--n_eval", "2")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "skip VOICEACTRESS100_002: no jvs005 recording (jvs002 -> jvs005)" in proc.stderr
    src = {}
    for name in ("train", "dev", "eval"):
        utt2spk = dict(line.split() for line in read_lines(run_dir / "data" / name / "utt2spk"))
        utt2tgt = dict(line.split() for line in read_lines(run_dir / "data" / name / "utt2tgt_spk"))
        src[name] = {(utt2spk[u], utt2tgt[u]) for u in utt2spk}
    assert src["train"] == src["eval"] and len(src["train"]) == 6 * 4
    assert all(len({t for s, t in src["train"] if s == spk}) == 4 for spk in speakers)
    assert len(read_lines(run_dir / "data" / "eval" / "wav.scp")) == 2 * 24


def test_jsut_jsss(tmp_path: Path) -> None:
    """JSUT basic5000 ↔ JSSS short-form basic5000 by shared id, in both directions."""
    ids = [f"BASIC5000_{n:04d}" for n in range(1, 16)]
    jsut = tmp_path / "jsut_ver1.1" / "basic5000"
    jsss = tmp_path / "jsss_ver1" / "short-form" / "basic5000"
    for i in ids:
        write_tone(jsut / "wav" / f"{i}.wav", fs=48000)
        if i != "BASIC5000_0002":
            write_tone(jsss / "wav24kHz16bit" / f"{i}.wav", fs=24000)
    (jsut / "transcript_utf8.txt").write_text("".join(f"{i}:文です{n}\n" for n, i in enumerate(ids)), "utf-8")
    run_dir = recipe(tmp_path, "jsut_jsss")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path), "--n_dev", "2", "--n_eval", "2")
    assert proc.returncode == 0, proc.stderr
    assert "skip BASIC5000_0002: no jsss recording" in proc.stderr
    check_data_dirs(run_dir, {"train": 10, "dev": 2, "eval": 2}, "jsut_jsss_BASIC5000_")
    assert "/jsss_ver1/" in read_lines(run_dir / "data" / "train" / "tgt_wav.scp")[0]

    shutil.rmtree(run_dir / "data")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path), "--srcspk", "jsss", "--tgtspk", "jsut",
                       "--n_dev", "2", "--n_eval", "2")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    check_data_dirs(run_dir, {"train": 10, "dev": 2, "eval": 2}, "jsss_jsut_BASIC5000_")


def test_too_few_pairs_is_an_error(tmp_path: Path) -> None:
    """A split that leaves a set empty stops with a message."""
    ids = [f"arctic_a{n:04d}" for n in range(1, 4)]
    for spk in ("slt", "bdl"):
        fake_arctic(tmp_path / "db", spk, ids, "wav")
    run_dir = recipe(tmp_path, "arctic")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path / "db"), "--srcspk", "slt", "--tgtspk", "bdl",
                       "--n_dev", "2", "--n_eval", "2")  # fmt: skip
    assert proc.returncode != 0 and "cannot make train/dev/eval" in proc.stderr


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
def test_mini_flite(tmp_path: Path) -> None:
    """A few sentences synthesized with two flite voices; a second run synthesizes nothing."""
    run_dir = recipe(tmp_path, "mini_flite")
    args = ("--db_root", str(tmp_path / "audio"), "--num_sentences", "6", "--n_dev", "1", "--n_eval", "1")
    proc = run_data_sh(run_dir, *args, "--srcspk", "awb", "--tgtspk", "rms")
    assert proc.returncode == 0, proc.stderr
    check_data_dirs(run_dir, {"train": 4, "dev": 1, "eval": 1}, "awb_rms_")
    assert sf.info(str(tmp_path / "audio" / "awb" / "0001.wav")).duration > 0.5
    mtime = (tmp_path / "audio" / "awb" / "0001.wav").stat().st_mtime
    assert run_data_sh(run_dir, *args, "--srcspk", "awb", "--tgtspk", "rms").returncode == 0
    assert (tmp_path / "audio" / "awb" / "0001.wav").stat().st_mtime == mtime
    proc = run_data_sh(run_dir, *args, "--srcspk", "nobody")
    assert proc.returncode != 0 and "no voice 'nobody'" in proc.stderr



def test_mini_flite_speaks_a_given_sentence_file(tmp_path: Path) -> None:
    """--sentences FILE: its lines are the sentences (ids = line numbers), in place of local/sentences.txt."""
    run_dir = recipe(tmp_path, "mini_flite")
    lines = [f"This is test sentence number {n} of the file." for n in range(1, 5)]
    (tmp_path / "s.txt").write_text("\n".join(lines) + "\n")
    args = ("--db_root", str(tmp_path / "audio"), "--n_dev", "1", "--n_eval", "1",
            "--sentences", str(tmp_path / "s.txt"))  # fmt: skip
    proc = run_data_sh(run_dir, *args, "--num_sentences", "4")
    assert proc.returncode == 0, proc.stderr
    assert read_lines(run_dir / "data" / "train" / "text")[0] == f"slt_rms_0001 {lines[0]}"
    proc = run_data_sh(run_dir, *args, "--num_sentences", "5")
    assert proc.returncode != 0 and f"{tmp_path / 's.txt'} has fewer than 5 lines" in proc.stderr


def test_make_sentences_keeps_plain_sentences_of_the_fortunes(tmp_path: Path) -> None:
    """Fortune entries become 6-20-word sentences flite reads cleanly (no acronyms, digits or quotes)."""
    fortunes = tmp_path / "fortunes"
    fortunes.mkdir()
    keep = ["A journey of a thousand miles begins with one step.", "Why is the sky so very blue today?",
            "Never put off until tomorrow what you can do today."]
    drop = ["Too short here.", "The NASA launch went well for all of us.", "It cost 5 dollars and it was a bargain.",
            '"Quoted words are not read well by flite at all."']  # fmt: skip
    (fortunes / "wisdom").write_text(f"{keep[0]} {drop[0]}\n%\n{drop[1]}\n%\n{keep[1]}\n{drop[2]}\n%\n{drop[3]}\n"
                                     f"%\n{keep[2]}\n")  # fmt: skip
    (fortunes / "wisdom.dat").write_text("index, skipped")
    make = ["python3", str(EGS / "mini_flite" / "vc1" / "local" / "make_sentences.py"), "--fortunes", str(fortunes)]
    proc = subprocess.run([*make, "--num", "3", str(tmp_path / "out.txt")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(read_lines(tmp_path / "out.txt")) == sorted(keep)
    # A shorter file is the longer one's first lines: data.sh regenerates a file that is too short for a run
    # asking for more sentences, and the sentences (and audio) made before keep their ids.
    proc = subprocess.run([*make, "--num", "2", str(tmp_path / "short.txt")], capture_output=True, text=True)
    assert proc.returncode == 0 and read_lines(tmp_path / "short.txt") == read_lines(tmp_path / "out.txt")[:2]
    proc = subprocess.run([*make, "--num", "4", str(tmp_path / "out.txt")], capture_output=True, text=True)
    assert proc.returncode != 0 and "yields 3 sentences, fewer than --num 4" in proc.stderr

def write_jsut_jsss(root: Path, groups: Dict[str, int]) -> None:
    """Fake ``root/jsut_ver1.1`` and ``root/jsss_ver1/short-form`` trees: ``<GROUP>_<n>`` sentences of each
    group (``{"voiceactress100": 12}``: ``VOICEACTRESS100_001…``; basic5000 ids have four digits)."""
    for group, count in groups.items():
        ids = [f"{group.upper()}_{n:0{4 if group == 'basic5000' else 3}d}" for n in range(1, count + 1)]
        for i in ids:
            write_tone(root / "jsut_ver1.1" / group / "wav" / f"{i}.wav", fs=48000)
            write_tone(root / "jsss_ver1" / "short-form" / group / "wav24kHz16bit" / f"{i}.wav", fs=24000)
        text = "".join(f"{i}:{group}の文{n}です。\n" for n, i in enumerate(ids))
        (root / "jsut_ver1.1" / group / "transcript_utf8.txt").write_text(text, "utf-8")


def test_jsut_jsss_jvs_many_to_many(tmp_path: Path) -> None:
    """jsut, jsss and three JVS speakers: a ring of two partners plus jsut <-> jsss; voiceactress100 for all,
    basic5000 for jsut <-> jsss; dev and eval from both groups, never trained on; a missing recording listed."""
    from espnet2_vc.data.dump import make_spk2sid  # what stage 2 makes spk2sid with

    write_jsut_jsss(tmp_path, {"voiceactress100": 12, "basic5000": 8})
    jvs = ["jvs001", "jvs002", "jvs003"]
    write_jvs(tmp_path, jvs, 12, ("jvs002", "VOICEACTRESS100_011"))
    run_dir = recipe(tmp_path, "jsut_jsss_jvs")
    proc = run_data_sh(run_dir, "--db_root", str(tmp_path), "--pairs", "2", "--n_dev", "2", "--n_eval", "2")
    assert proc.returncode == 0, proc.stderr
    assert "skip VOICEACTRESS100_011: no jvs002 recording (jvs001 -> jvs002)" in proc.stderr
    assert "skip 8 BASIC5000_* sentences: jvs001 has none (jsut -> jvs001)" in proc.stderr
    assert "skip BASIC5000_" not in proc.stderr  # a group a speaker has none of is not listed id by id

    ring = ["jsss", "jsut", *jvs]  # sorted; each with its neighbours, cyclically
    expected = {p for a, b in zip(ring, ring[1:] + ring[:1]) for p in ((a, b), (b, a))}
    assert {("jsut", "jsss"), ("jsss", "jsut")} <= expected and len(expected) == 10
    rows = {}
    for name in ("train", "dev", "eval"):
        utt2spk = dict(line.split() for line in read_lines(run_dir / "data" / name / "utt2spk"))
        utt2tgt = dict(line.split() for line in read_lines(run_dir / "data" / name / "utt2tgt_spk"))
        rows[name] = {(utt2spk[u], utt2tgt[u], u.split("_", 2)[2]) for u in utt2spk}
        assert {(s, t) for s, t, _ in rows[name]} == expected, name
    train_speakers = [s for s, t, _ in rows["train"]] + [t for s, t, _ in rows["train"]]
    assert make_spk2sid(train_speakers) == {spk: i for i, spk in enumerate(ring)}  # spks = 2 + 3 JVS speakers

    sentences = {name: {sid for _, _, sid in r} for name, r in rows.items()}
    assert sentences["dev"] == {"VOICEACTRESS100_009", "VOICEACTRESS100_010", "BASIC5000_0005", "BASIC5000_0006"}
    assert sentences["eval"] == {"VOICEACTRESS100_011", "VOICEACTRESS100_012", "BASIC5000_0007", "BASIC5000_0008"}
    assert not sentences["train"] & (sentences["dev"] | sentences["eval"])
    assert {(s, t) for s, t, sid in rows["train"] if sid.startswith("BASIC5000_")} == {("jsut", "jsss"),
                                                                                        ("jsss", "jsut")}  # fmt: skip
    assert not {("jvs001", "jvs002", "VOICEACTRESS100_011"), ("jvs002", "jvs001", "VOICEACTRESS100_011")} & rows["eval"]
    check_data_dirs(run_dir, {name: len(r) for name, r in rows.items()}, "")
    text = dict(line.split(" ", 1) for line in read_lines(run_dir / "data" / "eval" / "text"))
    assert text["jsut_jsss_BASIC5000_0008"] == "basic5000の文7です。"
    assert text["jvs003_jsss_VOICEACTRESS100_012"] == "voiceactress100の文11です。"
