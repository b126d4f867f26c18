"""VocoderTask: HiFi-GAN or Vocos on the VC model's mels, trained with espnet's GANTrainer (``bin/vocoder_train``).

The mel settings are read from the VC model's config (``--vc_config``, via ``mel_config``), never retyped;
they are saved in ``exp/<voc>/config.yaml`` as ``mel`` so that decoding can check them against the VC
model in use. Ground-truth training gives ``speech`` only (mels computed on the fly); fine-tuning also gives
``feats``, the VC model's teacher-forced (GTA) mels, and starts from the ground-truth model (``--init_param``).
"""

import argparse
import copy
import logging
import os
from pathlib import Path
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple, Union

import numpy as np
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
from espnet2.tasks.abs_task import AbsTask, optim_classes
from espnet2.train.class_choices import ClassChoices
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.gan_trainer import GANTrainer
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str_or_none
from typeguard import typechecked

from espnet2_vc.utils.checkpoint import load_weights
from espnet2_vc.utils.config import (
    check_conf_keys,
    check_registry_confs,
    chosen_class,
    class_defaults,
    load_config,
    load_saved_args,
    mel_config,
)
from espnet2_vc.vocoder.checks import (
    MEL_LOSS_KEYS,
    UtteranceCheck,
    check_first_feats,
    check_saved_mel,
    check_upsampling,
    check_wav_peaks,
    fill_mel_conf,
    mel_differences,
)
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
NUM_CHECKED = 5  # utterances whose audio scale and GTA frames are checked before training starts


class VocoderTask(AbsTask):
    """A GAN vocoder (HiFi-GAN, Vocos) for a VC model: ground-truth training, then fine-tuning on GTA mels."""

    num_optimizers: int = 2  # generator (optim, scheduler) and discriminator (optim2, scheduler2)
    class_choices_list = [generator_choices, discriminator_choices]
    trainer = GANTrainer

    @classmethod
    @typechecked
    def add_task_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--vc_config`` (required), ``--mel`` (filled in), ``--model_conf`` and the two registries."""
        group = parser.add_argument_group(description="Task related")
        required = parser.get_default("required")
        required += ["vc_config"]
        group.add_argument("--vc_config", type=str_or_none, default=None,
                           help="the VC model's config.yaml: the mel settings are read from it")  # fmt: skip
        group.add_argument("--mel", action=NestedDictAction, default=None,
                           help="mel settings, filled in from --vc_config and saved in config.yaml; "
                           "a value given here must agree with --vc_config")  # fmt: skip
        group.add_argument("--model_conf", action=NestedDictAction,
                           default=get_default_kwargs(HiFiGANVocoderModel),
                           help="HiFiGANVocoderModel options: segment_size, loss weights and loss params")  # fmt: skip
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)

    @classmethod
    @typechecked
    def build_collate_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Callable[[Collection[Tuple[str, Dict[str, np.ndarray]]]], Tuple[List[str], Dict[str, torch.Tensor]]]:
        """Pad waveforms and mels (the model fills padded mel frames with the log-mel of silence)."""
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=0)

    @classmethod
    @typechecked
    def build_preprocess_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Optional[Callable[[str, Dict[str, np.ndarray]], Dict[str, np.ndarray]]]:
        """Check each utterance's GTA feats against its waveform (frames = 1 + samples // hop)."""
        mel = cls.resolve_mel(args)
        return UtteranceCheck(int(mel["hop_length"]), int(mel["n_mels"]))

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """``speech``: the target waveform (the VC model's ``tgt_wav.scp``)."""
        return ("feats",) if inference else ("speech",)

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """``feats``: predicted GTA mels (fine-tuning); without them ground-truth mels are computed."""
        return () if inference else ("feats",)

    @classmethod
    def get_default_config(cls) -> Dict[str, Any]:
        """Config for ``--print_config``; an unknown key in any ``--<name>_conf`` is an error."""
        config = super().get_default_config()
        check_registry_confs(config, cls.class_choices_list)
        check_conf_keys(HiFiGANVocoderModel, config.get("model_conf") or {}, "model")
        return config

    @classmethod
    def resolve_mel(cls, args: argparse.Namespace) -> Dict[str, Any]:
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

    @classmethod
    def _conf(cls, args: argparse.Namespace, choices: ClassChoices) -> Tuple[type, Dict[str, Any]]:
        class_obj = chosen_class(choices, getattr(args, choices.name))
        conf = dict(getattr(args, f"{choices.name}_conf") or {})
        check_conf_keys(class_obj, conf, choices.name)
        return class_obj, conf

    @classmethod
    @typechecked
    def build_model(cls, args: argparse.Namespace) -> HiFiGANVocoderModel:
        """Generator and discriminator from their registries, the mel settings from the VC config.

        Raises:
            ValueError: a stated mel setting (``generator_conf.in_channels``, ``model_conf.mel_loss_params``)
                that differs from the VC config, or upsampling that is not ``hop_length``.
        """
        mel = cls.resolve_mel(args)
        source = str(args.vc_config or "saved in config.yaml")
        gen_class, gen_conf = cls._conf(args, generator_choices)
        defaults = class_defaults(gen_class)
        mel_keys = {key: mel_key for key, mel_key in GENERATOR_MEL_KEYS.items() if key in defaults}
        gen_conf = fill_mel_conf(gen_conf, mel, mel_keys, "generator_conf", source)
        if "mel" in defaults:  # generators that take the whole mel settings (Vocos's magnitude prior)
            if gen_conf.get("mel") not in (None, mel):
                raise ValueError(f"--generator_conf mel: filled in from the VC config {source}; drop it")
            gen_conf["mel"] = mel
        if "upsample_scales" in defaults:  # transposed-convolution generators (HiFi-GAN)
            check_upsampling(gen_conf.get("upsample_scales", defaults["upsample_scales"]), int(mel["hop_length"]))
        disc_class, disc_conf = cls._conf(args, discriminator_choices)
        model_conf = copy.deepcopy(args.model_conf or {})
        check_conf_keys(HiFiGANVocoderModel, model_conf, "model")
        for key, loss_class in LOSS_CLASSES.items():
            check_conf_keys(loss_class, model_conf.get(key) or {}, f"model_conf {key}")
        model_conf["mel_loss_params"] = fill_mel_conf(
            model_conf.get("mel_loss_params"), mel, {k: k for k in MEL_LOSS_KEYS if k in mel},
            "model_conf mel_loss_params", source,
        )  # fmt: skip
        model = HiFiGANVocoderModel(gen_class(**gen_conf), disc_class(**disc_conf), mel, **model_conf)
        n_gen = sum(p.numel() for p in model.generator.parameters())
        n_disc = sum(p.numel() for p in model.discriminator.parameters())
        logging.info(f"vocoder: generator {n_gen / 1e6:.3f} M, discriminator {n_disc / 1e6:.3f} M parameters; "
                     f"mels {mel['n_mels']} bins, hop {mel['hop_length']} at {mel['fs']} Hz from {source}")  # fmt: skip
        return model

    @classmethod
    def build_optimizers(cls, args: argparse.Namespace, model: HiFiGANVocoderModel) -> List[torch.optim.Optimizer]:
        """``--optim`` for the generator, ``--optim2`` for the discriminator."""
        optimizers = []
        for option, module in (("optim", model.generator), ("optim2", model.discriminator)):
            optim_class = optim_classes.get(getattr(args, option))
            if optim_class is None:
                raise ValueError(f"--{option} must be one of {list(optim_classes)}: {getattr(args, option)}")
            optimizers.append(optim_class(module.parameters(), **getattr(args, f"{option}_conf")))
        return optimizers

    @classmethod
    def check_before_training(cls, args: argparse.Namespace) -> None:
        """Refuse mismatched settings and badly scaled data before any training step.

        Checks the first utterances of every set (audio peak, GTA frame counts) and, for fine-tuning, that
        ``--init_param`` was trained on the same mels and fits the model strictly. (The mel settings and the
        upsampling are checked by :meth:`build_model`, which espnet runs before training too.)
        """
        mel = cls.resolve_mel(args)
        check = UtteranceCheck(int(mel["hop_length"]), int(mel["n_mels"]))
        for mode in ("train", "valid"):
            triples = getattr(args, f"{mode}_data_path_and_name_and_type", None) or []
            names = {name: (path, kind) for path, name, kind in triples}
            if "speech" in names:
                peaks = check_wav_peaks(*names["speech"], n=NUM_CHECKED)
                logging.info(f"{mode}: peaks of the first target waveforms {[round(p, 3) for p in peaks]}")
            if "speech" in names and "feats" in names:
                check_first_feats(names["speech"], names["feats"], check, n=NUM_CHECKED)
        for init in args.init_param or []:
            path = Path(init.split(":")[0])
            config = path.parent / "config.yaml"
            if config.exists():
                check_saved_mel(load_config(config).get("mel"), mel, f"--init_param {path} ({config})")
            if ":" not in init:  # espnet's own loading keeps missing parameters silently: check strictly first
                load_weights(cls.build_model(copy.deepcopy(args)), path)

    @classmethod
    @typechecked
    def main_worker(cls, args: argparse.Namespace) -> None:
        """Run the checks, then espnet's training loop."""
        # espnet's own format, set before the checks log anything (the first logging call would fix it).
        logging.basicConfig(level=args.log_level, format=f"[{os.uname()[1].split('.')[0]}] %(asctime)s "
                            "(%(module)s:%(lineno)d) %(levelname)s: %(message)s")  # fmt: skip
        cls.check_before_training(args)
        super().main_worker(args)

    @classmethod
    def build_model_from_file(
        cls,
        config_file: Optional[Union[Path, str]] = None,
        model_file: Optional[Union[Path, str]] = None,
        device: str = "cpu",
    ) -> Tuple[HiFiGANVocoderModel, argparse.Namespace]:
        """Rebuild from ``exp/<voc>/config.yaml`` (its saved ``mel``) and load the weights strictly."""
        args = load_saved_args(config_file, model_file)
        args.vc_config = None  # the saved mel settings rebuild the model, wherever the VC config went
        model = cls.build_model(args).to(device)
        if model_file is not None:
            load_weights(model, model_file, device)
        return model, args

