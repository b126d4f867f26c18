"""Loading weights with a report of what was loaded: never a silent partial load."""

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Union

import torch

from espnet2_vc.utils.config import load_saved_args


def read_state_dict(path: Union[str, Path], device: str = "cpu") -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint espnet's Trainer saved, read with ``torch.load(weights_only=True)`` (a
    file from a stranger cannot run code); deepspeed's ``{"module": …}`` unwrapped."""
    state: Dict[str, torch.Tensor] = torch.load(path, map_location=device, weights_only=True)
    if "module" in state and isinstance(state["module"], dict):  # deepspeed checkpoints
        state = state["module"]
    return state


def load_weights(model: torch.nn.Module, path: Union[str, Path], device: str = "cpu", prefix: str = "") -> None:
    """Load a state dict saved by espnet's Trainer into ``model``, strictly.

    Uses ``torch.load(weights_only=True)`` so that a file from a stranger cannot run code. With ``prefix`` the
    model is one part of the saved one (``generator.``: a vocoder's generator without its discriminator): the
    tensors under ``prefix`` must fit it exactly, and the others are counted in the log line, not loaded.

    Raises:
        RuntimeError: naming the file and every missing or unexpected parameter.
    """
    state = read_state_dict(path, device)
    others = 0
    if prefix:
        part = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        others, state = len(state) - len(part), part
    try:  # the model's own load_state_dict pre-hooks run first (e.g. ESPnetVCModel's renamed keys)
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        mismatched = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
        raise RuntimeError(
            f"{path}{f' ({prefix}*)' if prefix else ''}: does not fit the model built from its config: "
            f"missing {missing[:10]}"
            f"{'…' if len(missing) > 10 else ''}, unexpected {unexpected[:10]}"
            f"{'…' if len(unexpected) > 10 else ''}, shape mismatch {mismatched[:10]}. "
            "Use the config.yaml written next to this checkpoint."
        ) from err
    n_params = sum(v.numel() for v in state.values())
    rest = f" ({prefix}*; {others} other tensors, for training only, not loaded)" if prefix else ""
    logging.info(f"loaded {len(state)} tensors ({n_params / 1e6:.2f} M values) from {path}{rest}")


def model_from_file(
    build: Callable[[Any], torch.nn.Module],
    config_file: Optional[Union[str, Path]],
    model_file: Optional[Union[str, Path]],
    device: str = "cpu",
    weights_prefix: str = "",
    **settings: Any,
) -> Tuple[torch.nn.Module, Any]:
    """``build(args)`` on the options saved in ``config_file`` (default: beside ``model_file``), with ``settings``
    set on them first, moved to ``device``, and ``model_file`` loaded strictly (:func:`load_weights`; with
    ``weights_prefix``, the saved tensors under it: ``build`` makes that part of the saved model).

    Returns:
        The model and the options it was built from (completed by ``build``).
    """
    args = load_saved_args(config_file, model_file)
    for key, value in settings.items():
        setattr(args, key, value)
    model = build(args).to(device)
    if model_file is not None:
        load_weights(model, model_file, device, prefix=weights_prefix)
    return model, args


@contextlib.contextmanager
def atomic_saves() -> Iterator[None]:
    """Within it, ``torch.save`` to a file path writes ``<path>.tmp`` and renames it over ``<path>``.

    espnet's Trainer saves ``checkpoint.pth`` (what ``--resume`` reads) and ``<N>epoch.pth`` in place: a kill
    during a save would leave a truncated file that the resumed run or the n-best averaging then fails on. With
    the rename, a kill leaves the previous file whole (and at most a stale ``.tmp``, overwritten next time).
    """
    save = torch.save

    def atomic(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(f, (str, os.PathLike)):
            return save(obj, f, *args, **kwargs)
        tmp = f"{os.fspath(f)}.tmp"
        save(obj, tmp, *args, **kwargs)
        os.replace(tmp, f)

    torch.save = atomic
    try:
        yield
    finally:
        torch.save = save
