"""wandb runs of a training (``--use_wandb true``; doc/training.md, "Watching a training").

espnet starts the run itself (``AbsTask.main_worker``, rank 0 only) with ``wandb.init(..., id=--wandb_id,
resume=--resume)`` and then ``wandb.config.update(args)``. Around it, :func:`wandb_runs` gives the run a project
and a name from the experiment (``espnet2_vc``, the exp folder's name) unless ``--wandb_project`` /
``--wandb_name`` say otherwise, and keeps ``<exp>/wandb_run.json`` (run id and a hash of the config):

- a training resumed with the same config continues its run (same id);
- one resumed with another config starts a new run, named ``<name>-2`` (``-3``, …), instead of failing in
  ``wandb.config.update`` on the changed values.

``WANDB_MODE=offline`` works without network or login (the run goes to ``<exp>/wandb/``; ``wandb sync`` uploads
it later); that is how the tests run it.
"""

import contextlib
import hashlib
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

# Options that may change between a run and its resumption (e.g. training longer) without making it another
# experiment.
RESUME_KEYS = {"resume", "max_epoch", "wandb_id", "wandb_name", "print_config", "log_level", "dry_run"}


def config_hash(args: Any) -> str:
    """A hash of the options that define the experiment (not those of :data:`RESUME_KEYS`)."""
    conf = {k: v for k, v in sorted(vars(args).items()) if k not in RESUME_KEYS}
    return hashlib.sha256(json.dumps(conf, default=str, sort_keys=True).encode()).hexdigest()[:16]


class _Wandb:
    """espnet's module-level ``wandb`` with this toolkit's run naming and resuming (everything else passes
    through to the real module)."""

    def __init__(self, real: Any, args: Any) -> None:
        self._real, self._args = real, args

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def init(self, entity: Any = None, project: Any = None, name: Any = None, dir: Any = None, id: Any = None,
             resume: Any = None, **kwargs: Any) -> Any:  # fmt: skip
        folder = Path(dir)
        record_file = folder / "wandb_run.json"
        record: Dict[str, Any] = json.loads(record_file.read_text()) if record_file.exists() else {}
        project = self._args.wandb_project or "espnet2_vc"  # espnet's default would be ESPnet_VCTask
        name = name or record.get("name") or folder.name
        digest = config_hash(self._args)
        resuming = bool(resume) and (folder / "checkpoint.pth").exists() and record
        if id is None and resuming and record.get("config") == digest:
            id = record["id"]
            logging.info(f"wandb: continuing run {name} ({id}): a resumed training with the same config")
        elif id is None and resuming:
            n = int(record.get("restarts", 1)) + 1
            logging.warning(f"wandb: the config changed since run {record.get('name')} ({record.get('id')}); "
                            f"starting a new run {name}-{n}")  # fmt: skip
            record["restarts"], name = n, f"{name}-{n}"
        id = id or uuid.uuid4().hex[:8]
        run = self._real.init(entity=entity, project=project, name=name, dir=str(folder), id=id, resume="allow",
                              **kwargs)  # fmt: skip
        record.update(id=id, name=record.get("name") or name, config=digest)
        record_file.write_text(json.dumps(record, indent=1) + "\n")
        return run


@contextlib.contextmanager
def wandb_runs(args: Any) -> Iterator[None]:
    """Within it, espnet's ``wandb.init`` goes through :class:`_Wandb` (only with ``--use_wandb true``)."""
    from espnet2.tasks import abs_task

    if not getattr(args, "use_wandb", False) or abs_task.wandb is None:
        yield
        return
    real = abs_task.wandb
    abs_task.wandb = _Wandb(real, args)
    try:
        yield
    finally:
        abs_task.wandb = real
