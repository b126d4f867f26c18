"""Starting a training from a pretrained model: ``--init_param`` with an exp dir, a packed zip or a checkpoint,
loaded with a report of what was loaded, skipped and kept (doc/training.md).

espnet's own loader merges whatever fits in silence (``weights_only=False``, a log line per filtered key); this
one takes the same ``<path>[:<src_key>[:<dst_key>[:<exclude_prefixes>]]]`` syntax and
``--ignore_init_mismatch``, loads with ``weights_only=True``, and says what happened to every parameter. The
normalization statistics are buffers of the model (``src_normalize.mean`` …), so an ``--init_param`` of a whole
model normalizes with the *pretrained* statistics unless they are excluded (``:::src_normalize,tgt_normalize``).
"""

import contextlib
import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import torch

from espnet2_vc.utils.checkpoint import read_state_dict


@dataclasses.dataclass
class InitReport:
    """What ``--init_param`` did to each parameter / buffer of the (sub)module it loaded into."""

    source: str
    loaded: List[str]
    excluded: List[str]  # in the file, left out by the exclude prefixes
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]  # (key, file shape, model shape): kept
    unexpected: List[str]  # in the file, not in the model
    kept: List[str]  # in the model, not in the file: their initial values

    def summary(self) -> str:
        lines = [f"--init_param {self.source}: loaded {len(self.loaded)} tensors, skipped {len(self.mismatched)} "
                 f"of another shape, excluded {len(self.excluded)}, {len(self.unexpected)} not in this model, "
                 f"{len(self.kept)} of this model not in the file (kept at their initial values)"]  # fmt: skip
        for key, got, want in self.mismatched:
            lines.append(f"  skipped (shape {list(got)} in the file, {list(want)} here): {key}")
        for what, keys in (("excluded", self.excluded), ("not in this model", self.unexpected),
                           ("initial values", self.kept)):  # fmt: skip
            if keys:
                lines.append(f"  {what}: {', '.join(keys[:8])}{' …' if len(keys) > 8 else ''}")
        stats = sorted({k.rsplit(".", 1)[0] for k in self.loaded if k.endswith("normalize.mean")})
        if stats:
            lines.append(f"  normalization statistics from the pretrained model: {', '.join(stats)}")
        return "\n".join(lines)


@contextlib.contextmanager
def pretrained_files(path: Path, what: str = "--init_param") -> Iterator[Tuple[Path, Optional[Path]]]:
    """(checkpoint, its config.yaml or None) of a checkpoint file, or of an exp dir or a packed zip as
    ``VoiceConverter.from_pretrained`` reads them (a pack unpacked into a temporary folder for the duration);
    errors name the option ``what``."""
    if path.is_file() and path.suffix != ".zip":
        config = path.parent / "config.yaml"
        yield path, (config if config.is_file() else None)
        return
    if not path.exists():
        raise FileNotFoundError(f"{what} {path}: no such checkpoint, exp dir or packed zip")
    from espnet2_vc.inference import resolve_model

    with tempfile.TemporaryDirectory(prefix="pretrained_") as tmp:
        try:
            config, model_file, _ = resolve_model(path, cache_dir=tmp)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{what} {e}") from None
        yield model_file, (config if config.is_file() else None)


def _split(init_param: str) -> Tuple[Path, Optional[str], Optional[str], List[str]]:
    """espnet's ``<path>:<src_key>:<dst_key>:<excludes>`` (empty fields: none)."""
    parts = init_param.split(":", 3) + [""] * 3
    path, src_key, dst_key, excludes = parts[:4]
    return Path(path), src_key or None, dst_key or None, [e for e in excludes.split(",") if e]


def load_pretrained(
    init_param: str, model: torch.nn.Module, ignore_init_mismatch: bool, map_location: str = "cpu"
) -> InitReport:
    """Load ``init_param`` into ``model`` (espnet's ``load_pretrained_model`` interface) and log the report.

    Raises:
        ValueError: tensors of another shape, without ``--ignore_init_mismatch true`` (named, with both shapes).
    """
    from espnet2_vc.vc.espnet_model import rename_old_keys

    path, src_key, dst_key, excludes = _split(init_param)
    with pretrained_files(path) as (model_file, _):
        state = read_state_dict(model_file, map_location)
    rename_old_keys(state)  # checkpoints from before a rename, as the model's own loading does
    excluded = sorted(k for k in state if any(k.startswith(e) for e in excludes))
    state = {k: v for k, v in state.items() if k not in excluded}
    if src_key is not None:
        state = {k[len(src_key) + 1 :]: v for k, v in state.items() if k.startswith(src_key + ".")}
    target = model.get_submodule(dst_key) if dst_key else model
    own = target.state_dict()
    mismatched = sorted((k, tuple(v.shape), tuple(own[k].shape)) for k, v in state.items()
                        if k in own and v.shape != own[k].shape)  # fmt: skip
    if mismatched and not ignore_init_mismatch:
        names = ", ".join(f"{k} ({list(a)} in the file, {list(b)} here)" for k, a, b in mismatched[:5])
        raise ValueError(f"--init_param {init_param}: tensors of another shape: {names}; pass "
                         "--ignore_init_mismatch true to keep those at their initial values")  # fmt: skip
    fits = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    target.load_state_dict({**own, **fits}, strict=True)
    report = InitReport(source=init_param, loaded=sorted(fits), excluded=excluded, mismatched=mismatched,
                        unexpected=sorted(set(state) - set(own)), kept=sorted(set(own) - set(state)))  # fmt: skip
    for line in report.summary().splitlines():
        logging.info(line)
    return report


@contextlib.contextmanager
def reported_init_param() -> Iterator[None]:
    """Within it, espnet's training (``AbsTask.main_worker``) loads ``--init_param`` with :func:`load_pretrained`."""
    from espnet2.tasks import abs_task

    original = abs_task.load_pretrained_model
    abs_task.load_pretrained_model = load_pretrained
    try:
        yield
    finally:
        abs_task.load_pretrained_model = original


# Stage 3's names of the statistics (<vc_stats_dir>/train/<name>), by the normalization option using them.
STATS_NAMES = {"normalize_conf": "src_feats_stats.npz", "tgt_normalize_conf": "tgt_feats_stats.npz",
               "pitch_normalize_conf": "pitch_stats.npz", "energy_normalize_conf": "energy_stats.npz"}  # fmt: skip


def copy_pretrained_stats(pretrained: Path, vc_config: Path, output_dir: Path) -> Dict[str, Path]:
    """Copy the normalization statistics of a pretrained exp dir or packed zip to ``output_dir`` under stage 3's
    names (:data:`STATS_NAMES`), for a fine-tuning that normalizes with them (``vc.sh --pretrained_stats``).

    Raises:
        ValueError: the pretrained model has other mel settings than ``vc_config``, or no statistics.
    """
    import shutil

    from espnet2_vc.utils.config import load_saved_args, mel_config

    with pretrained_files(Path(pretrained), "--pretrained_stats") as (_, config):
        if config is None:
            raise ValueError(f"{pretrained}: no config.yaml beside the checkpoint; give its exp dir or packed zip")
        saved = vars(load_saved_args(config, None))
        theirs, ours = mel_config(saved), mel_config(str(vc_config))
        differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
        if differ:
            raise ValueError(f"{pretrained} was trained on other mels than {vc_config}: "
                             + ", ".join(f"{k} {theirs.get(k)} vs {ours.get(k)}" for k in differ))  # fmt: skip
        output_dir.mkdir(parents=True, exist_ok=True)
        copied = {}
        for key, name in STATS_NAMES.items():
            stats = (saved.get(key) or {}).get("stats_file")
            if stats:
                copied[key] = Path(shutil.copyfile(stats, output_dir / name))
    if "normalize_conf" not in copied:
        raise ValueError(f"{pretrained}: its config names no normalization statistics (normalize_conf.stats_file)")
    return copied
