"""Read settings from a VC training config (``exp/*/config.yaml`` or ``conf/*.yaml``).

The mel settings live once, in ``feats_extract_conf`` of the VC config; every other tool (duration
extraction, vocoder, evaluation) reads them through :func:`mel_config` instead of retyping them.
"""

import argparse
import inspect
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

import yaml

# Keys of the feature extractor that define the mel spectrogram.
MEL_KEYS = ("fs", "n_fft", "win_length", "hop_length", "window", "center", "n_mels", "fmin", "fmax", "htk", "log_base")


def load_config(config: Union[str, Path, Dict[str, Any]]) -> Dict[str, Any]:
    """Return a config dict from a yaml path or a dict (returned as is)."""
    if isinstance(config, dict):
        return config
    with Path(config).open("r", encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    if not isinstance(loaded, dict):
        raise ValueError(f"{config}: not a yaml mapping; expected a VC training config")
    return loaded


def class_defaults(cls: type) -> Dict[str, Any]:
    """Keyword defaults of ``cls.__init__`` (parameters without a default are left out)."""
    params = inspect.signature(cls.__init__).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def check_conf_keys(cls: type, conf: Dict[str, Any], option: str) -> None:
    """Raise ``ValueError`` naming every key of ``conf`` that ``cls`` does not accept.

    Args:
        cls: The class the conf is for.
        conf: The ``--<option>_conf`` dict.
        option: The option name, e.g. ``tts`` (used in the message).
    """
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(conf) - set(params) - {"self"})
    if unknown:
        known = ", ".join(sorted(k for k in params if k != "self"))
        raise ValueError(f"--{option}_conf: unknown key(s) {unknown} for {cls.__name__}; accepted keys: {known}")


def chosen_class(choices: Any, name: Optional[str]) -> Optional[type]:
    """The class an espnet ``ClassChoices`` registers under ``name`` (case-insensitive); None for ``none``."""
    if name is None or (choices.optional and str(name).lower() in ("none", "null", "nil")):
        return None
    return choices.get_class(str(name).lower())


def check_registry_confs(config: Dict[str, Any], class_choices_list: Iterable[Any]) -> None:
    """:func:`check_conf_keys` for every registry of a task that ``config`` selects a class for."""
    for choices in class_choices_list:
        class_obj = chosen_class(choices, config.get(choices.name))
        if class_obj is not None:
            check_conf_keys(class_obj, config.get(f"{choices.name}_conf") or {}, choices.name)


def load_saved_args(
    config_file: Optional[Union[str, Path]], model_file: Optional[Union[str, Path]]
) -> argparse.Namespace:
    """The options saved in an experiment's ``config.yaml`` (default: the one beside ``model_file``)."""
    if config_file is None:
        if model_file is None:
            raise ValueError("give a config file, a model file, or both")
        config_file = Path(model_file).parent / "config.yaml"
    try:
        with Path(config_file).open("r", encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ValueError(f"{config_file}: not a readable yaml config ({type(e).__name__}: {e})") from None
    if not isinstance(config, dict) or not all(isinstance(k, str) and k.isidentifier() for k in config):
        raise ValueError(f"{config_file}: a config is a mapping of option names; use the config.yaml written "
                         "next to the checkpoint")  # fmt: skip
    resolve_stats_files(config, Path(config_file))
    return argparse.Namespace(**config)


def resolve_stats_files(config: Dict[str, Any], config_file: Path) -> None:
    """Make the relative ``*_conf.stats_file`` paths of a saved config work from any folder.

    A recipe writes them relative to its own folder (``exp/vc_stats/train/…``), which is an ancestor of the
    experiment folder holding ``config.yaml``: a path that does not exist as given is looked up relative to
    each ancestor of ``config_file`` and replaced by the first that exists.

    Raises:
        FileNotFoundError: A stats file is found nowhere (names the config and the key).
    """
    for key, conf in config.items():
        if not key.endswith("_conf") or not isinstance(conf, dict) or not conf.get("stats_file"):
            continue
        path = Path(conf["stats_file"])
        if path.is_absolute() or path.exists():
            continue
        found = next((a / path for a in config_file.resolve().parents if (a / path).exists()), None)
        if found is None:
            raise FileNotFoundError(
                f"{config_file}: {key}.stats_file {path} exists neither from the current folder nor from any "
                "folder above the config; run from the recipe folder or load the packed model.zip"
            )
        conf["stats_file"] = str(found)


def resolved_conf(config: Union[str, Path, Dict[str, Any]], name: str) -> Dict[str, Any]:
    """``<name>_conf`` of ``config`` completed with the chosen class's defaults.

    Imports the registries (:mod:`espnet2_vc.tasks.registries`: the classes, not the task). A saved
    ``exp/*/config.yaml`` holds ``feats_extract_conf`` and ``tts_conf`` complete, so :func:`mel_config` and
    :func:`reduction_factor` read it without this.

    Args:
        config: A VC training config (path or dict).
        name: A registry name of :class:`espnet2_vc.tasks.vc.VCTask`, e.g. ``feats_extract`` or ``tts``.
    """
    from espnet2_vc.tasks.registries import class_choices_list

    config = load_config(config)
    choices = {c.name: c for c in class_choices_list}
    if name not in choices:
        raise ValueError(f"unknown registry {name!r}; one of {sorted(choices)}")
    choice = choices[name]
    selected = config.get(name, choice.default)
    if selected is None:
        return {}
    cls = choice.get_class(str(selected).lower())
    conf = dict(config.get(f"{name}_conf") or {})
    check_conf_keys(cls, conf, name)
    out = class_defaults(cls)
    out.update(conf)
    return out


def mel_config(config: Union[str, Path, Dict[str, Any]]) -> Dict[str, Any]:
    """The mel settings of a VC config: ``fs``, ``n_fft``, ``hop_length``, ``win_length`` (never None), …

    A config that states every mel setting (every saved one) is read as it is, without importing espnet.
    """
    config = load_config(config)
    conf = dict(config.get("feats_extract_conf") or {})
    if config.get("feats_extract", "fbank") != "fbank" or not set(MEL_KEYS) <= set(conf):
        conf = resolved_conf(config, "feats_extract")
    mel = {k: conf[k] for k in MEL_KEYS if k in conf}
    if mel.get("win_length") is None:
        mel["win_length"] = mel["n_fft"]
    check_mel_settings(mel)
    return mel


def sampling_rate(config: Union[str, Path, Dict[str, Any]]) -> int:
    """``feats_extract_conf.fs`` of a VC config, read as stated (no espnet or torch import: stage 2 needs only
    this); a config that leaves it out gets the feature extractor's default (:func:`mel_config`)."""
    config = load_config(config)
    fs = (config.get("feats_extract_conf") or {}).get("fs")
    if fs is None or config.get("feats_extract", "fbank") != "fbank":
        return int(mel_config(config)["fs"])
    check_positive_int("fs", fs)
    return fs


def check_positive_int(key: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``feats_extract_conf.<key>`` is a positive integer (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"feats_extract_conf.{key} must be a positive integer, not {value!r}")


def check_mel_settings(mel: Dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first impossible mel setting of ``feats_extract_conf``.

    Checked: ``fs``, ``n_fft``, ``hop_length``, ``n_mels`` positive integers; ``win_length`` (None: ``n_fft``)
    at most ``n_fft``; ``0 <= fmin < fmax <= fs / 2`` (``fmax`` None: ``fs / 2``).
    """
    for key in ("fs", "n_fft", "hop_length", "n_mels"):
        check_positive_int(key, mel.get(key))
    win = mel.get("win_length") or mel["n_fft"]
    if isinstance(win, bool) or not isinstance(win, int) or not 0 < win <= mel["n_fft"]:
        raise ValueError(f"feats_extract_conf.win_length {win!r} must be a positive integer <= n_fft {mel['n_fft']}")
    nyquist = mel["fs"] / 2
    fmin = mel.get("fmin") or 0
    fmax = nyquist if mel.get("fmax") is None else mel["fmax"]
    if not 0 <= fmin < fmax <= nyquist:
        raise ValueError(f"feats_extract_conf: need 0 <= fmin < fmax <= fs / 2 = {nyquist:g} Hz, got fmin {fmin}, "
                         f"fmax {fmax}")  # fmt: skip


def reduction_factor(config: Union[str, Path, Dict[str, Any]]) -> int:
    """``tts_conf.reduction_factor`` of a VC config (the network's default when unset)."""
    config = load_config(config)
    conf = config.get("tts_conf") or {}
    if "reduction_factor" in conf:
        return int(conf["reduction_factor"])
    return int(resolved_conf(config, "tts").get("reduction_factor", 1))
