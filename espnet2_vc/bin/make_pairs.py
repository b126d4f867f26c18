"""Pair N speakers' recordings by sentence id into data/{train,dev,eval}/ (doc/data.md).

Usage: python -m espnet2_vc.bin.make_pairs [--pairs all|K|A:B,...] [--text T] [--n_dev N] [--n_eval N]
           [--split_groups true|false] DATA_ROOT SPK1=LIST1 SPK2=LIST2 [...]
LIST: ``<sentence id> <audio path>`` lines. Called by ``scripts/make_pair_sets.sh``.
"""

import argparse
import sys
from typing import List, Optional

from espnet2_vc.data.pairs import make_pair_sets, pair_list, read_id_list


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default="all",
                        help="all, K partners per speaker (even), A:B, or a union of these: 4,A:B,B:A")  # fmt: skip
    parser.add_argument("--text", default=None, help="<sentence id> <transcript> lines")
    parser.add_argument("--n_dev", default="10", help="dev sentences: a count or a percentage (5%%)")
    parser.add_argument("--n_eval", default="10", help="eval sentences: a count or a percentage")
    parser.add_argument("--split_groups", choices=("true", "false"), default="false",
                        help="split each sentence group (id without its trailing _digits) on its own")  # fmt: skip
    parser.add_argument("data_root")
    parser.add_argument("lists", nargs="+", metavar="SPK=LIST")
    args = parser.parse_args(argv)
    prog = "make_pair_sets"

    def log(msg: str) -> None:
        print(f"{prog}: {msg}", file=sys.stderr)

    try:
        lists = {}
        for item in args.lists:
            spk, sep, path = item.partition("=")
            if not sep or not spk:
                raise ValueError(f"{item!r}: give SPK=LIST")
            lists[spk] = read_id_list(path)
        pairs = pair_list(list(lists), args.pairs)
        text = read_id_list(args.text) if args.text else None
        make_pair_sets(lists, pairs, args.data_root, text, args.n_dev, args.n_eval, log, args.split_groups == "true")
    except (ValueError, OSError) as e:
        log(str(e))
        sys.exit(1)


if __name__ == "__main__":
    main()
