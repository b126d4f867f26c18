"""The one reader (and writer) of Kaldi-style ``<utt> <value>`` files: ``wav.scp``, ``text``, ``utt2spk``,
``durations``, ``skipped``, ``rtf``, ….

A line is an id, one space (or more) and a value that may itself contain spaces; blank lines are passed over;
an id seen twice is an error naming the file and line. :func:`read_scp` is the same for files whose values are
paths (audio, features): every line needs one, and piped commands (``… |``) are refused.
"""

from pathlib import Path
from typing import Dict, List, Tuple, Union

PathLike = Union[str, Path]


def read_kaldi(path: PathLike, require_value: bool = False) -> Dict[str, str]:
    """Read ``<utt> <value>`` lines into a dict (values stripped; an id alone maps to ``""``).

    Args:
        path: The file.
        require_value: An id without a value is an error (files of paths).

    Raises:
        ValueError: A duplicate id, a missing value with ``require_value``, or a line that is not UTF-8,
            naming the file and line.
    """
    out: Dict[str, str] = {}
    with Path(path).open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not UTF-8 (byte {e.start}: {raw[e.start:e.start + 1]!r}); "
                                 "convert the file, e.g. iconv -f <its encoding> -t utf-8") from None  # fmt: skip
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            if require_value and len(parts) < 2:
                raise ValueError(f"{path}:{lineno}: expected '<utt_id> <value>', got {line.strip()!r}")
            if parts[0] in out:
                raise ValueError(f"{path}:{lineno}: duplicate utterance id {parts[0]}")
            out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out


def read_scp(path: PathLike) -> Dict[str, str]:
    """Read a ``<utt> <path>`` file; every line needs a path, and piped commands are refused."""
    out = read_kaldi(path, require_value=True)
    for utt, value in out.items():
        if value.endswith("|"):
            raise ValueError(f"{path}: {utt}: piped commands are not supported; dump the audio first (vc.sh stage 2)")
    return out


def scp_head(path: PathLike, n: int) -> List[Tuple[str, str]]:
    """The first ``n`` ``(utt, value)`` pairs of a file, reading no further (lines without a value passed over)."""
    out = []
    with Path(path).open("r", encoding="utf-8") as f:
        for line in f:
            if len(out) >= n:
                break
            parts = line.strip().split(maxsplit=1)
            if len(parts) == 2:
                out.append((parts[0], parts[1]))
    return out


def write_kaldi(path: PathLike, items: Dict[str, object]) -> None:
    """Write ``<utt> <value>`` lines sorted by id as ``LC_ALL=C sort`` does (code point order)."""
    with Path(path).open("w", encoding="utf-8") as f:
        for key in sorted(items):
            f.write(f"{key} {items[key]}\n")
