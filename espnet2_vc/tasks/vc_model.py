"""The VC model (feats → normalize → pitch/energy → network) built from parsed options or a saved config.

:class:`espnet2_vc.tasks.vc.VCTask` builds through these functions, and so do conversion (``VoiceConverter``),
the duration teacher and the tests: building a model needs the registries, not espnet's ``AbsTask`` and its
import chain (trainer, iterators, preprocessors: seconds of start-up, ``bench/startup.py``).
"""

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import torch
from espnet2.train.class_choices import ClassChoices
from typeguard import typechecked

from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.tasks.registries import (
    energy_extractor_choices,
    energy_normalize_choices,
    feats_extractor_choices,
    normalize_choices,
    pitch_extractor_choices,
    pitch_normalize_choices,
    specaug_choices,
    tgt_normalize_choices,
    tts_choices,
)
from espnet2_vc.utils.checkpoint import model_from_file
from espnet2_vc.utils.config import check_conf_keys, check_mel_settings, chosen_class, class_defaults
from espnet2_vc.vc.compile import CompileSettings
from espnet2_vc.vc.espnet_model import ESPnetVCModel

# Settings a pitch / energy extractor must share with the mel extractor so that their frames line up.
SHARED_FRAME_KEYS = ("fs", "n_fft", "win_length", "hop_length", "window", "center")


def frame_aligned_conf(cls: type, conf: Dict[str, Any], mel: Dict[str, Any], option: str) -> Dict[str, Any]:
    """``conf`` for a pitch / energy extractor, with the mel extractor's frame settings filled in.

    A frame setting given explicitly must equal the mel extractor's, or the frames would not line up.
    Token averaging is switched off: the network averages over durations itself (reduction-aware).
    """
    conf = dict(conf)
    accepted = class_defaults(cls)
    for key in SHARED_FRAME_KEYS:
        if key not in accepted or key not in mel:
            continue
        if key in conf and conf[key] != mel[key]:
            raise ValueError(
                f"--{option}_conf {key}={conf[key]} differs from --feats_extract_conf {key}={mel[key]}: "
                "pitch/energy frames must match the mel frames; remove it from the pitch/energy conf"
            )
        conf[key] = mel[key]
    for key in ("use_token_averaged_f0", "use_token_averaged_energy"):
        if key in accepted:
            if conf.get(key):
                raise ValueError(f"--{option}_conf {key}=true is not supported: NARS2S averages over durations")
            conf[key] = False
    return conf


def build_part(args: argparse.Namespace, choices: ClassChoices, **extra: Any) -> Optional[torch.nn.Module]:
    """The part ``args.<choices.name>`` names, built with ``args.<choices.name>_conf`` (unknown keys refused)."""
    class_obj = chosen_class(choices, getattr(args, choices.name))
    if class_obj is None:
        return None
    conf = getattr(args, f"{choices.name}_conf") or {}
    check_conf_keys(class_obj, conf, choices.name)
    return class_obj(**extra, **conf)


@typechecked
def build_vc_model(args: argparse.Namespace) -> ESPnetVCModel:
    """Build feats → normalize → pitch/energy → network from the parsed options."""
    # Saved back in full so that exp/*/config.yaml states the trimming a wav gets before conversion.
    args.trim_conf = dataclasses.asdict(TrimSettings.from_conf(getattr(args, "trim_conf", None)))
    mel = class_defaults(chosen_class(feats_extractor_choices, args.feats_extract))
    mel.update(args.feats_extract_conf or {})
    check_mel_settings(mel)  # before espnet's layers see them: one error naming the setting
    feats_extract = build_part(args, feats_extractor_choices)
    odim = feats_extract.output_size()
    # Saved back complete, so that reading exp/*/config.yaml's mel settings and reduction factor needs
    # neither espnet nor this task (espnet2_vc.utils.config.mel_config).
    args.feats_extract_conf = mel

    # Without stats yet (collect_stats mode) there is nothing to normalize with.
    norms = {}
    for choices in (normalize_choices, tgt_normalize_choices, pitch_normalize_choices, energy_normalize_choices):
        norms[choices.name] = None if args.collect_stats else build_part(args, choices)
    prosody = {}
    for choices in (pitch_extractor_choices, energy_extractor_choices):
        class_obj = chosen_class(choices, getattr(args, choices.name))
        if class_obj is not None:
            conf = getattr(args, f"{choices.name}_conf") or {}
            check_conf_keys(class_obj, conf, choices.name)
            conf = frame_aligned_conf(class_obj, conf, mel, choices.name)
            # Saved back so that exp/*/config.yaml states the frame settings that were used.
            setattr(args, f"{choices.name}_conf", conf)
            prosody[choices.name] = class_obj(**conf)
        else:
            prosody[choices.name] = None
    tts = build_part(args, tts_choices, idim=odim, odim=odim)
    tts_conf = class_defaults(type(tts))
    tts_conf.update(args.tts_conf or {})
    args.tts_conf = {k: v for k, v in tts_conf.items() if k not in ("idim", "odim")}
    model = ESPnetVCModel(
        feats_extract=feats_extract,
        src_normalize=norms["normalize"],  # --normalize: espnet's option name
        tgt_normalize=norms["tgt_normalize"],
        pitch_extract=prosody["pitch_extract"],
        pitch_normalize=norms["pitch_normalize"],
        energy_extract=prosody["energy_extract"],
        energy_normalize=norms["energy_normalize"],
        tts=tts,
        # Configs saved before the option existed have no "specaug" key.
        specaug=build_part(args, specaug_choices) if getattr(args, "specaug", None) else None,
    )
    # Saved back complete (configs saved before the option existed have none: off).
    compile_settings = CompileSettings.from_conf(getattr(args, "compile_conf", None))
    args.compile_conf = compile_settings.as_conf()
    compile_settings.apply(model.tts)
    n_params = sum(p.numel() for p in model.parameters())
    compiled = f", compiled ({compile_settings.backend})" if compile_settings.enable else ""
    logging.info(f"VC model: {type(tts).__name__}, {n_params / 1e6:.2f} M parameters{compiled}")
    return model


def vc_model_from_file(
    config_file: Optional[Union[Path, str]] = None,
    model_file: Optional[Union[Path, str]] = None,
    device: str = "cpu",
) -> Tuple[ESPnetVCModel, argparse.Namespace]:
    """Rebuild a model from ``exp/*/config.yaml`` and load its weights strictly (``weights_only``).

    Unlike espnet's default this never loads partially: a missing or unexpected parameter is an error.
    """
    return model_from_file(build_vc_model, config_file, model_file, device, collect_stats=False)
