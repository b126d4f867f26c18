"""Pair lists of N speakers and the sets they make: both directions, a split by sentence, skips reported."""

from collections import Counter
from pathlib import Path

import pytest

from espnet2_vc.data.pairs import make_pair_sets, pair_list, sentence_group
from espnet2_vc.utils.kaldi import read_kaldi

SPEAKERS = ["e", "a", "d", "b", "c", "f"]


def test_all_pairs_are_every_ordered_pair():
    pairs = pair_list(SPEAKERS, "all")
    assert len(pairs) == 6 * 5 == len(set(pairs)) and all(s != t for s, t in pairs)


@pytest.mark.parametrize("k", [2, 4])
def test_k_pairs_give_every_speaker_k_partners_both_ways(k):
    pairs = pair_list(SPEAKERS, str(k))
    partners = {s: {t for a, t in pairs if a == s} for s in SPEAKERS}
    assert all(len(p) == k for p in partners.values())
    assert all((t, s) in pairs for s, t in pairs)  # both directions of each pair
    assert pair_list(SPEAKERS, "5") == pair_list(SPEAKERS, "all")  # N - 1 partners: all


def test_explicit_pairs_are_kept_and_checked():
    assert pair_list(["slt", "rms"], "slt:rms") == [("slt", "rms")]
    with pytest.raises(ValueError, match="names 'awb', not one of the speakers"):
        pair_list(["slt", "rms"], "slt:awb")
    with pytest.raises(ValueError, match="use all, an even number"):
        pair_list(SPEAKERS, "3")


def _lists(tmp_path: Path, speakers, ids, missing=()):
    lists = {}
    for spk in speakers:
        lists[spk] = {}
        for i in ids:
            if (spk, i) in missing:
                continue
            path = tmp_path / spk / f"{i}.wav"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"")
            lists[spk][i] = str(path)
    return lists


def test_sets_split_by_sentence_in_every_direction(tmp_path):
    """No sentence of dev or eval is trained on in any direction; each direction has its own utterances."""
    ids = [f"s{i:02d}" for i in range(12)]
    lists = _lists(tmp_path, ["x", "y", "z"], ids, missing={("z", "s03")})
    logged = []
    sizes = make_pair_sets(lists, pair_list(["x", "y", "z"], "all"), tmp_path / "data",
                           text={i: f"text {i}" for i in ids}, n_dev="2", n_eval="2", log=logged.append)  # fmt: skip
    sentences = {}
    for name in ("train", "dev", "eval"):
        utt2spk = read_kaldi(tmp_path / "data" / name / "utt2spk")
        utt2tgt = read_kaldi(tmp_path / "data" / name / "utt2tgt_spk")
        assert list(utt2spk) == sorted(utt2spk) and len(utt2spk) == sizes[name]
        assert all(u.startswith(f"{utt2spk[u]}_{utt2tgt[u]}_") for u in utt2spk)
        sentences[name] = {u.rsplit("_", 1)[1] for u in utt2spk}
        directions = Counter((utt2spk[u], utt2tgt[u]) for u in utt2spk)
        assert len(directions) == 6
    assert sentences["eval"] == {"s10", "s11"} and sentences["dev"] == {"s08", "s09"}
    assert not sentences["train"] & (sentences["dev"] | sentences["eval"])
    assert sizes["train"] == 6 * 8 - 4  # s03 lacks z: four directions lose it
    assert sum("skip s03: no z recording" in m for m in logged) == 4  # x -> z, y -> z, z -> x, z -> y
    assert read_kaldi(tmp_path / "data" / "dev" / "text")["x_z_s08"] == "text s08"


def test_too_few_sentences_and_missing_audio_are_errors(tmp_path):
    lists = _lists(tmp_path, ["x", "y"], ["s1", "s2"])
    with pytest.raises(ValueError, match="2 sentences of x and y cannot make train/dev/eval of 0/1/1"):
        make_pair_sets(lists, [("x", "y")], tmp_path / "data", n_dev="1", n_eval="1")
    lists = _lists(tmp_path, ["x", "y"], ["s1", "s2", "s3"])
    Path(lists["y"]["s3"]).unlink()
    with pytest.raises(ValueError, match=r"x_y_s3: audio file .*s3.wav does not exist"):
        make_pair_sets(lists, [("x", "y")], tmp_path / "data", n_dev="1", n_eval="1")


def test_a_union_of_forms_gives_each_direction_once():
    """``2,a:c,c:a,a:b``: the ring of two partners, plus a <-> c; a:b is in the ring already and kept once."""
    ring = pair_list(SPEAKERS, "2")
    union = pair_list(SPEAKERS, "2,a:c,c:a,a:b")
    assert union == ring + [("a", "c"), ("c", "a")]
    assert pair_list(["slt", "rms"], "slt:rms,slt:rms") == [("slt", "rms")]
    with pytest.raises(ValueError, match="'3': use all, an even number"):
        pair_list(SPEAKERS, "a:b,3")


@pytest.mark.parametrize("sid, group", [("VOICEACTRESS100_001", "VOICEACTRESS100"), ("BASIC5000_0001", "BASIC5000"),
                                        ("arctic_a0001", "arctic_a0001"), ("0001", "0001")])  # fmt: skip
def test_sentence_group_is_the_id_without_its_trailing_number(sid, group):
    assert sentence_group(sid) == group


def _grouped_sets(tmp_path, split_groups, logged):
    """x and y read groups A (12 ids) and B (8); z reads A only and lacks A_03; x <-> y and x <-> z."""
    ids = [f"A_{i:02d}" for i in range(1, 13)] + [f"B_{i:04d}" for i in range(1, 9)]
    lists = _lists(tmp_path, ["x", "y"], ids)
    lists.update(_lists(tmp_path, ["z"], ids[:12], missing={("z", "A_03")}))
    pairs = pair_list(["x", "y", "z"], "x:y,y:x,x:z,z:x")
    make_pair_sets(lists, pairs, tmp_path / "data", n_dev="2", n_eval="2", log=logged.append,
                   split_groups=split_groups)  # fmt: skip
    sets = {}
    for name in ("train", "dev", "eval"):
        utt2spk = read_kaldi(tmp_path / "data" / name / "utt2spk")
        utt2tgt = read_kaldi(tmp_path / "data" / name / "utt2tgt_spk")
        sets[name] = {(utt2spk[u], utt2tgt[u], u.split("_", 2)[2]) for u in utt2spk}
    return sets


def test_split_groups_puts_sentences_of_every_group_in_dev_and_eval(tmp_path):
    """Per group, the last n_eval ids are eval and the n_dev before them dev; every direction is in every set."""
    logged = []
    sets = _grouped_sets(tmp_path, True, logged)
    sentences = {name: {sid for _, _, sid in rows} for name, rows in sets.items()}
    assert sentences["dev"] == {"A_09", "A_10", "B_0005", "B_0006"}
    assert sentences["eval"] == {"A_11", "A_12", "B_0007", "B_0008"}
    assert not sentences["train"] & (sentences["dev"] | sentences["eval"])
    for rows in sets.values():
        assert {(s, t) for s, t, _ in rows} == {("x", "y"), ("y", "x"), ("x", "z"), ("z", "x")}
    assert {sid for s, t, sid in sets["eval"] if "z" in (s, t)} == {"A_11", "A_12"}  # z has no group B
    # A group z has none of is one line per direction; a single missing recording is still listed by id.
    assert [m for m in logged if m.startswith("skip ")] == [
        "skip 8 B_* sentences: z has none (x -> z)", "skip A_03: no z recording (x -> z)",
        "skip 8 B_* sentences: z has none (z -> x)", "skip A_03: no z recording (z -> x)",
    ]  # fmt: skip


def test_without_split_groups_the_last_group_alone_is_dev_and_eval(tmp_path):
    """The default split (sorted union) gives dev and eval to group B only: z would never be tested."""
    logged = []
    sets = _grouped_sets(tmp_path, False, logged)
    assert {sid for _, _, sid in sets["dev"] | sets["eval"]} == {f"B_{i:04d}" for i in range(5, 9)}
    assert not any("z" in (s, t) for s, t, _ in sets["eval"])
    assert sum("no z recording" in m for m in logged) == 2 * 9  # id by id: A_03 and the eight B ids


def test_split_groups_needs_three_sets_in_each_group(tmp_path):
    lists = _lists(tmp_path, ["x", "y"], [f"A_{i}" for i in range(1, 6)] + ["B_1", "B_2"])
    with pytest.raises(ValueError, match=r"2 B_\* sentences of x and y cannot make train/dev/eval of 0/1/1"):
        make_pair_sets(lists, [("x", "y")], tmp_path / "data", n_dev="1", n_eval="1", split_groups=True)
