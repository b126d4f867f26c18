"""Parallel sets of N speakers: pair lists, a split by sentence id, Kaldi data dirs (doc/data.md).

One pair (``src:tgt``) gives the one-to-one sets every recipe had; more speakers give many-to-many sets
with both directions of each pair. The split is by sentence, over the sorted union of the ids that some
listed pair shares: the last ``n_eval`` ids are eval, the ``n_dev`` before them dev, the rest train, so a
dev or eval sentence is never trained on in any direction.

With ``split_groups`` the ids are split per sentence group (the id without its trailing ``_<digits>``:
``VOICEACTRESS100_001`` → ``VOICEACTRESS100``, ``BASIC5000_0001`` → ``BASIC5000``): each group gives its own
last ``n_eval`` / ``n_dev``, so dev and eval hold sentences of every group. A corpus whose speakers share
different groups (JSUT ↔ JSSS: both; JVS speakers: VOICEACTRESS100 only) then trains and tests every pair.
"""

import logging
import re
import shutil
from collections import Counter
from itertools import permutations
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Set, Tuple, Union

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
        pairs: A comma-separated union of: ``all`` (every ordered pair); an even ``K`` (each speaker with the K
            speakers nearest to it in sorted order, cyclically: K/2 on each side; both directions; ``K >= N - 1``
            is all); ``A:B`` (that direction). Each direction once, in the order of the forms: ``slt:rms``,
            ``A:B,C:D``, ``4,jsut:jsss,jsss:jsut`` (a ring of four partners plus both jsut-jsss directions).
    """
    if len(set(speakers)) != len(speakers) or len(speakers) < 2:
        raise ValueError(f"need two or more distinct speakers, got {list(speakers)}")
    out: Dict[Pair, None] = {}  # ordered, each direction once
    for form in filter(None, pairs.split(",")):
        out.update(dict.fromkeys(_pair_form(speakers, form)))
    if not out:
        raise ValueError(f"--pairs {pairs!r}: use all, an even number of partners per speaker, or A:B,C:D")
    return list(out)


def _pair_form(speakers: Sequence[str], form: str) -> List[Pair]:
    """The directions of one form of :func:`pair_list`: ``all``, an even ``K`` or ``A:B``."""
    if ":" in form:
        src, tgt = form.split(":", 1)
        for spk in (src, tgt):
            if spk not in speakers:
                raise ValueError(f"pair {src}:{tgt} names {spk!r}, not one of the speakers {list(speakers)}")
        if src == tgt:
            raise ValueError(f"pair {src}:{tgt} converts a speaker to itself")
        return [(src, tgt)]
    names = sorted(speakers)
    n = len(names)
    if form == "all" or (form.isdigit() and int(form) >= n - 1):
        return list(permutations(names, 2))
    if not form.isdigit() or int(form) % 2 or int(form) == 0:
        raise ValueError(f"--pairs {form!r}: use all, an even number of partners per speaker, or A:B,C:D")
    out = []
    for i in range(n):
        for d in range(1, int(form) // 2 + 1):
            a, b = names[i], names[(i + d) % n]
            out += [(a, b), (b, a)]
    return sorted(set(out))


def sentence_group(sid: str) -> str:
    """``VOICEACTRESS100_001`` → ``VOICEACTRESS100``: the id without its trailing ``_<digits>`` (else itself)."""
    return re.sub(r"_[0-9]+$", "", sid)


def _log_skips(have: Dict[str, str], other: Dict[str, str], other_spk: str, where: str,
               log: Callable[[str], None], by_group: bool) -> None:  # fmt: skip
    """Log the ids of ``have`` that ``other`` lacks; ``by_group``: a group ``other`` has none of in one line."""
    missing = sorted(set(have) - set(other))
    if by_group:
        known = {sentence_group(sid) for sid in other}
        whole = Counter(sentence_group(sid) for sid in missing if sentence_group(sid) not in known)
        for group, n in sorted(whole.items()):
            log(f"skip {n} {group}_* sentences: {other_spk} has none{where}")
        missing = [sid for sid in missing if sentence_group(sid) in known]
    for sid in missing:
        log(f"skip {sid}: no {other_spk} recording{where}")


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
    split_groups: bool = False,
) -> Dict[str, int]:
    """Write ``data_root/{train,dev,eval}/`` and return the utterances in each.

    Args:
        lists: Speaker → {sentence id → audio path}.
        pairs: Directed pairs (see :func:`pair_list`); utterance ids are ``<src>_<tgt>_<sentence id>``.
        data_root: Where the sets go; each is written to ``<set>.tmp``, checked, then moved.
        text: Sentence id → transcript (optional, written to ``text``).
        n_dev / n_eval: Sizes in sentences: a count or a percentage (``"5%"``); per group with ``split_groups``.
        log: Where skipped sentence ids are reported.
        split_groups: Split each sentence group (:func:`sentence_group`) on its own (module docstring). A group
            one speaker of a pair has no recording of is skipped for that pair in one line, not id by id.

    Raises:
        ValueError: An audio file is missing, or the sentences cannot make three non-empty sets.
    """
    shared: Dict[Pair, List[str]] = {}
    for src, tgt in pairs:
        a, b = lists[src], lists[tgt]
        where = f" ({src} -> {tgt})" if len(pairs) > 1 else ""
        _log_skips(a, b, tgt, where, log, split_groups)
        _log_skips(b, a, src, where, log, split_groups)
        shared[(src, tgt)] = sorted(set(a) & set(b))
    ids = sorted(set().union(*shared.values()))
    groups: Dict[str, List[str]] = {}
    for sid in ids:
        groups.setdefault(sentence_group(sid) if split_groups else "", []).append(sid)
    split: Dict[str, Set[str]] = {"train": set(), "dev": set(), "eval": set()}
    for group, group_ids in groups.items():
        dev, ev = _count(n_dev, len(group_ids)), _count(n_eval, len(group_ids))
        train = len(group_ids) - dev - ev
        if dev < 1 or ev < 1 or train < 1:
            names = " and ".join(sorted({s for p in pairs for s in p}))
            what = f"{group}_* sentences" if group else "sentences"
            raise ValueError(f"{len(group_ids)} {what} of {names} cannot make train/dev/eval of {train}/{dev}/{ev}")
        split["train"] |= set(group_ids[:train])
        split["dev"] |= set(group_ids[train : train + dev])
        split["eval"] |= set(group_ids[train + dev :])
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
