"""Parallel sets of N speakers: pair lists, a split by sentence id, Kaldi data dirs (doc/data.md).

One pair (``src:tgt``) gives the one-to-one sets every recipe had; more speakers give many-to-many sets
with both directions of each pair. The split is by sentence, over the sorted union of the ids that some
listed pair shares: the last ``n_eval`` ids are eval, the ``n_dev`` before them dev, the rest train, so a
dev or eval sentence is never trained on in any direction.
"""

import logging
import shutil
from itertools import permutations
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple, Union

Pair = Tuple[str, str]


def read_id_list(path: Union[str, Path]) -> Dict[str, str]:
    """``<sentence id> <value>`` lines (value may hold spaces) as a dict; a repeated id is a ``ValueError``."""
    out: Dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) < 2:
            continue
        if parts[0] in out:
            raise ValueError(f"duplicated sentence id {parts[0]!r} in {path}")
        out[parts[0]] = parts[1]
    return out


def pair_list(speakers: Sequence[str], pairs: str) -> List[Pair]:
    """Directed (source, target) pairs.

    Args:
        speakers: Speaker names (two or more, distinct).
        pairs: ``all`` (every ordered pair); an even ``K`` (each speaker with the K speakers nearest to it
            in sorted order, cyclically: K/2 on each side; both directions; ``K >= N - 1`` is all);
            or ``A:B[,C:D...]`` (exactly those directions).
    """
    if len(set(speakers)) != len(speakers) or len(speakers) < 2:
        raise ValueError(f"need two or more distinct speakers, got {list(speakers)}")
    if ":" in pairs:
        out = [tuple(p.split(":", 1)) for p in pairs.split(",") if p]
        for src, tgt in out:
            for spk in (src, tgt):
                if spk not in speakers:
                    raise ValueError(f"pair {src}:{tgt} names {spk!r}, not one of the speakers {list(speakers)}")
            if src == tgt:
                raise ValueError(f"pair {src}:{tgt} converts a speaker to itself")
        return out  # type: ignore[return-value]
    names = sorted(speakers)
    n = len(names)
    if pairs == "all" or (pairs.isdigit() and int(pairs) >= n - 1):
        return list(permutations(names, 2))
    if not pairs.isdigit() or int(pairs) % 2 or int(pairs) == 0:
        raise ValueError(f"--pairs {pairs!r}: use all, an even number of partners per speaker, or A:B,C:D")
    out = []
    for i in range(n):
        for d in range(1, int(pairs) // 2 + 1):
            a, b = names[i], names[(i + d) % n]
            out += [(a, b), (b, a)]
    return sorted(set(out))


def _count(size: str, total: int) -> int:
    """``"10"`` → 10; ``"5%"`` → 5 % of ``total``, rounded."""
    return (total * int(size[:-1]) + 50) // 100 if size.endswith("%") else int(size)


def make_pair_sets(
    lists: Dict[str, Dict[str, str]],
    pairs: Sequence[Pair],
    data_root: Union[str, Path],
    text: Dict[str, str] = None,
    n_dev: str = "10",
    n_eval: str = "10",
    log: Callable[[str], None] = logging.warning,
) -> Dict[str, int]:
    """Write ``data_root/{train,dev,eval}/`` and return the utterances in each.

    Args:
        lists: Speaker → {sentence id → audio path}.
        pairs: Directed pairs (see :func:`pair_list`); utterance ids are ``<src>_<tgt>_<sentence id>``.
        data_root: Where the sets go; each is written to ``<set>.tmp``, checked, then moved.
        text: Sentence id → transcript (optional, written to ``text``).
        n_dev / n_eval: Sizes in sentences: a count or a percentage (``"5%"``).
        log: Where skipped sentence ids are reported.

    Raises:
        ValueError: An audio file is missing, or the sentences cannot make three non-empty sets.
    """
    shared: Dict[Pair, List[str]] = {}
    for src, tgt in pairs:
        a, b = lists[src], lists[tgt]
        where = f" ({src} -> {tgt})" if len(pairs) > 1 else ""
        for sid in sorted(set(a) - set(b)):
            log(f"skip {sid}: no {tgt} recording{where}")
        for sid in sorted(set(b) - set(a)):
            log(f"skip {sid}: no {src} recording{where}")
        shared[(src, tgt)] = sorted(set(a) & set(b))
    ids = sorted(set().union(*shared.values()))
    dev, ev = _count(n_dev, len(ids)), _count(n_eval, len(ids))
    train = len(ids) - dev - ev
    if dev < 1 or ev < 1 or train < 1:
        names = " and ".join(sorted({s for p in pairs for s in p}))
        raise ValueError(f"{len(ids)} sentences of {names} cannot make train/dev/eval of {train}/{dev}/{ev}")
    split = {"train": set(ids[:train]), "dev": set(ids[train:train + dev]), "eval": set(ids[train + dev:])}
    sizes = {}
    for name, members in split.items():
        rows = sorted((f"{s}_{t}_{i}", s, t, i) for (s, t), shared_ids in shared.items()
                      for i in shared_ids if i in members)  # fmt: skip
        files: Dict[str, List[str]] = {k: [] for k in ("wav.scp", "tgt_wav.scp", "utt2spk", "utt2tgt_spk", "text")}
        for utt, src, tgt, sid in rows:
            for path in (lists[src][sid], lists[tgt][sid]):
                if not Path(path).is_file():
                    raise ValueError(f"{utt}: audio file {path} does not exist")
            files["wav.scp"].append(f"{utt} {lists[src][sid]}")
            files["tgt_wav.scp"].append(f"{utt} {lists[tgt][sid]}")
            files["utt2spk"].append(f"{utt} {src}")
            files["utt2tgt_spk"].append(f"{utt} {tgt}")
            if text and sid in text:
                files["text"].append(f"{utt} {text[sid]}")
        if text is None:
            del files["text"]
        elif len(files["text"]) < len(rows):
            log(f"warning: {Path(data_root) / name}/text lacks {len(rows) - len(files['text'])} transcripts")
        out, tmp = Path(data_root) / name, Path(data_root) / f"{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for fname, lines in files.items():
            (tmp / fname).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        sizes[name] = len(rows)
        log(f"{out}: {len(rows)} pairs, {len(members)} sentences, {len(shared)} directions")
    return sizes
