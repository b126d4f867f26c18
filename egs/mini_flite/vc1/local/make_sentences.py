#!/usr/bin/env python3
"""Write N English sentences for flite to speak, taken from Debian's fortunes (apt-get install fortunes).

The mini recipes' 130 hand-picked sentences (local/sentences.txt) are too few for pretraining; the fortune
files hold ~11k plain sentences. Kept: 6-20 words, letters and ``,';-`` only, a capital first letter, one
final ``.?!``, no all-capital words (acronyms, which flite spells), no ``--``; duplicates once. The order is
a fixed shuffle (seed 0) so that the first N mix every fortune file. None of the ~10.8k is among the 400
ARCTIC prompts of ../shared/data/arctic (checked), so ARCTIC fine-tuning never meets a pretraining sentence.

    python local/make_sentences.py --num 3000 downloads/flite_m2m/sentences.txt
"""

import argparse
import random
import re
import sys
from pathlib import Path

FORTUNES = Path("/usr/share/games/fortunes")
SKIP = {"ascii-art", "debian", "linux", "linuxcookie", "perl", "translate-me"}  # not prose
SENTENCE = re.compile(r"^[A-Z][A-Za-z ,';-]*[a-z][.?!]$")


def sentences(text: str) -> list:
    """Sentences of one fortune file (entries separated by ``%`` lines) that flite reads cleanly."""
    out = []
    for entry in text.split("\n%\n"):
        for s in re.split(r"(?<=[.?!])\s+", " ".join(entry.split())):
            words = s.split()
            if 6 <= len(words) <= 20 and SENTENCE.match(s) and "--" not in s:
                if not any(w.isupper() and len(w) > 1 for w in words):
                    out.append(s)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="one sentence per line")
    parser.add_argument("--num", type=int, default=3000, help="sentences to write")
    parser.add_argument("--fortunes", type=Path, default=FORTUNES, help="folder of fortune files")
    args = parser.parse_args()
    files = sorted(p for p in args.fortunes.glob("*") if p.is_file() and not p.suffix and p.name not in SKIP)
    if not files:
        sys.exit(f"{args.fortunes} has no fortune files: apt-get install fortunes (not in tools/install.sh)")
    found = set()
    for path in files:
        found.update(sentences(path.read_text(encoding="utf-8", errors="replace")))
    pool = sorted(found)
    random.Random(0).shuffle(pool)
    if len(pool) < args.num:
        sys.exit(f"{args.fortunes} yields {len(pool)} sentences, fewer than --num {args.num}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("".join(s + "\n" for s in pool[: args.num]), encoding="utf-8")
    print(f"{args.output}: {args.num} of {len(pool)} sentences from {len(files)} fortune files")


if __name__ == "__main__":
    main()
