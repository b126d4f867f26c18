"""Progress bars of the long loops (dumping, durations, decoding, evaluation): tqdm on stderr, drawn only when
stderr is a terminal, so a recipe's log files get none (vc.sh runs every tool with its output in a log)."""

import sys
from typing import Iterable, Optional, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: Optional[int] = None, enabled: Optional[bool] = None,
             unit: str = "utt") -> Iterable[T]:  # fmt: skip
    """``items`` with a progress bar; ``enabled`` None: only on a terminal, False: never, True: always."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=None if enabled is None else not enabled)  # fmt: skip
