"""The vocoder model (generator + discriminator + losses) built from parsed options or a saved config.

The registries of :class:`espnet2_vc.tasks.vocoder.VocoderTask` live here with the builder, so that decoding
with a trained vocoder (``VoiceConverter``, vc.sh stage 7) needs neither espnet's ``AbsTask`` nor its
import chain (``bench/startup.py``). The mel settings are read from the VC model's config, never retyped.
"""

import argparse
import copy
import logging
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import torch
from espnet2.gan_tts.hifigan import (
    HiFiGANGenerator,
    HiFiGANMultiPeriodDiscriminator,
    HiFiGANMultiScaleDiscriminator,
    HiFiGANMultiScaleMultiPeriodDiscriminator,
)
from espnet2.gan_tts.hifigan.loss import (
    DiscriminatorAdversarialLoss,
    FeatureMatchLoss,
    GeneratorAdversarialLoss,
    MelSpectrogramLoss,
)
from espnet2.train.class_choices import ClassChoices
from typeguard import typechecked

from espnet2_vc.utils.checkpoint import model_from_file
from espnet2_vc.utils.config import check_conf_keys, chosen_class, class_defaults, mel_config
from espnet2_vc.vocoder.checks import MEL_LOSS_KEYS, check_upsampling, fill_mel_conf, mel_differences
from espnet2_vc.vocoder.hifigan_training import HiFiGANVocoderModel
from espnet2_vc.vocoder.stft_loss import MultiResolutionSTFTLoss
from espnet2_vc.vocoder.vocos import MultiPeriodMultiResolutionDiscriminator, VocosGenerator

generator_choices = ClassChoices(
    "generator", classes=dict(hifigan=HiFiGANGenerator, vocos=VocosGenerator), type_check=torch.nn.Module,
    default="hifigan",
)  # fmt: skip
# Generator options that are mel settings: filled in from the VC config when the generator takes them.
GENERATOR_MEL_KEYS = {"in_channels": "n_mels", "hop_length": "hop_length"}
discriminator_choices = ClassChoices(
    "discriminator",
    classes=dict(
        hifigan_multi_scale_multi_period=HiFiGANMultiScaleMultiPeriodDiscriminator,
        hifigan_multi_period=HiFiGANMultiPeriodDiscriminator,
        hifigan_multi_scale=HiFiGANMultiScaleDiscriminator,
        multi_period_multi_resolution=MultiPeriodMultiResolutionDiscriminator,
    ),
    type_check=torch.nn.Module,
    default="hifigan_multi_scale_multi_period",
)
# Loss options of the model conf and the espnet class each one configures (unknown keys are errors).
LOSS_CLASSES = dict(
    generator_adv_loss_params=GeneratorAdversarialLoss,
    discriminator_adv_loss_params=DiscriminatorAdversarialLoss,
    feat_match_loss_params=FeatureMatchLoss,
    mel_loss_params=MelSpectrogramLoss,
    stft_loss_params=MultiResolutionSTFTLoss,
)


def resolve_mel(args: argparse.Namespace) -> Dict[str, Any]:
    """The mel settings: from ``--vc_config`` when set (a saved ``--mel`` must agree), else the saved ones."""
    saved = getattr(args, "mel", None)
    vc_config = getattr(args, "vc_config", None)
    if vc_config is None:
        if not saved:
            raise ValueError("--vc_config is required: the VC model's config.yaml holds the mel settings")
        return dict(saved)
    mel = mel_config(vc_config)
    diffs = mel_differences(saved or {}, mel)
    if diffs:
        text = ", ".join(f"{k}={a!r} (VC: {b!r})" for k, a, b in diffs)
        raise ValueError(f"--mel {text} differ from {vc_config}; drop --mel, it is filled in from --vc_config")
    args.mel = mel
    return mel


def chosen_conf(args: argparse.Namespace, choices: ClassChoices) -> Tuple[type, Dict[str, Any]]:
    """The class ``args.<choices.name>`` names and its ``_conf`` (unknown keys refused)."""
    class_obj = chosen_class(choices, getattr(args, choices.name))
    conf = dict(getattr(args, f"{choices.name}_conf") or {})
    check_conf_keys(class_obj, conf, choices.name)
    return class_obj, conf


def build_generator(args: argparse.Namespace) -> torch.nn.Module:
    """The generator alone, its mel settings resolved (``resolve_mel``) and filled in from the VC config.

    Raises:
        ValueError: a stated mel setting (``generator_conf.in_channels``, ``mel``) that differs from the VC
            config, or upsampling that is not ``hop_length``.
    """
    mel = resolve_mel(args)
    source = str(args.vc_config or "saved in config.yaml")
    gen_class, gen_conf = chosen_conf(args, generator_choices)
    defaults = class_defaults(gen_class)
    mel_keys = {key: mel_key for key, mel_key in GENERATOR_MEL_KEYS.items() if key in defaults}
    gen_conf = fill_mel_conf(gen_conf, mel, mel_keys, "generator_conf", source)
    if "mel" in defaults:  # generators that take the whole mel settings (Vocos's magnitude prior)
        if gen_conf.get("mel") not in (None, mel):
            raise ValueError(f"--generator_conf mel: filled in from the VC config {source}; drop it")
        gen_conf["mel"] = mel
    if "upsample_scales" in defaults:  # transposed-convolution generators (HiFi-GAN)
        check_upsampling(gen_conf.get("upsample_scales", defaults["upsample_scales"]), int(mel["hop_length"]))
    return gen_class(**gen_conf)


@typechecked
def build_vocoder_model(args: argparse.Namespace) -> HiFiGANVocoderModel:
    """Generator and discriminator from their registries, the mel settings from the VC config.

    Raises:
        ValueError: a stated mel setting (``generator_conf.in_channels``, ``model_conf.mel_loss_params``)
            that differs from the VC config, or upsampling that is not ``hop_length``.
    """
    generator = build_generator(args)
    mel, source = args.mel, str(args.vc_config or "saved in config.yaml")
    disc_class, disc_conf = chosen_conf(args, discriminator_choices)
    model_conf = copy.deepcopy(args.model_conf or {})
    check_conf_keys(HiFiGANVocoderModel, model_conf, "model")
    for key, loss_class in LOSS_CLASSES.items():
        check_conf_keys(loss_class, model_conf.get(key) or {}, f"model_conf {key}")
    model_conf["mel_loss_params"] = fill_mel_conf(
        model_conf.get("mel_loss_params"), mel, {k: k for k in MEL_LOSS_KEYS if k in mel},
        "model_conf mel_loss_params", source,
    )  # fmt: skip
    model = HiFiGANVocoderModel(generator, disc_class(**disc_conf), mel, **model_conf)
    n_gen = sum(p.numel() for p in model.generator.parameters())
    n_disc = sum(p.numel() for p in model.discriminator.parameters())
    logging.info(f"vocoder: generator {n_gen / 1e6:.3f} M, discriminator {n_disc / 1e6:.3f} M parameters; "
                 f"mels {mel['n_mels']} bins, hop {mel['hop_length']} at {mel['fs']} Hz from {source}")  # fmt: skip
    return model


def vocoder_model_from_file(
    config_file: Optional[Union[Path, str]] = None,
    model_file: Optional[Union[Path, str]] = None,
    device: str = "cpu",
) -> Tuple[HiFiGANVocoderModel, argparse.Namespace]:
    """Rebuild from ``exp/<voc>/config.yaml`` (its saved ``mel``) and load the weights strictly."""
    # vc_config=None: the saved mel settings rebuild the model, wherever the VC config went.
    return model_from_file(build_vocoder_model, config_file, model_file, device, vc_config=None)


def generator_from_file(
    config_file: Optional[Union[Path, str]], model_file: Union[Path, str], device: str = "cpu"
) -> torch.nn.Module:
    """The generator of a trained vocoder, for decoding: built alone from ``exp/<voc>/config.yaml`` (no
    discriminator, no losses), the checkpoint's ``generator.*`` tensors loaded strictly (``load_weights``)."""
    return model_from_file(build_generator, config_file, model_file, device, "generator.", vc_config=None)[0]
