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
from espnet2.tasks.abs_task import AbsTask, optim_classes
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.distributed_utils import get_rank, get_world_size
from espnet2.train.gan_trainer import GANTrainer
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str_or_none
from typeguard import typechecked

from espnet2_vc.tasks.vocoder_model import (
    build_vocoder_model,
    discriminator_choices,
    generator_choices,
    resolve_mel,
    vocoder_model_from_file,
)
from espnet2_vc.utils.checkpoint import atomic_saves, load_weights
from espnet2_vc.utils.config import check_conf_keys, check_registry_confs, load_config
from espnet2_vc.vocoder.checks import UtteranceCheck, check_first_feats, check_saved_mel, check_wav_peaks
from espnet2_vc.vocoder.hifigan_training import HiFiGANVocoderModel

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
        mel = resolve_mel(args)
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
    def build_model(cls, args: argparse.Namespace) -> HiFiGANVocoderModel:
        """Generator and discriminator (:func:`espnet2_vc.tasks.vocoder_model.build_vocoder_model`)."""
        return build_vocoder_model(args)

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
        mel = resolve_mel(args)
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
        """Run the checks (on every rank: bad data stops them all), then espnet's training loop.

        Under DDP the generator gets no gradient in the discriminator's turn, so ``--unused_parameters`` is on.
        """
        # espnet's format and rank rule (rank > 0 logs errors only), set before the checks log anything: the
        # first logging call would fix it.
        rank = get_rank(args.dist_rank, args.dist_launcher) if args.distributed else None
        tag = "" if rank is None else f":{rank}/{get_world_size(args.dist_world_size, args.dist_launcher)}"
        logging.basicConfig(level=args.log_level if not rank else "ERROR",
                            format=f"[{os.uname()[1].split('.')[0]}{tag}] %(asctime)s "
                            "(%(module)s:%(lineno)d) %(levelname)s: %(message)s")  # fmt: skip
        if args.distributed and not args.unused_parameters:
            logging.info("DDP: --unused_parameters true (each GAN turn leaves the other network without gradients)")
            args.unused_parameters = True
        cls.check_before_training(args)
        with atomic_saves():  # in every training process (espnet spawns one per GPU)
            super().main_worker(args)

    @classmethod
    def build_model_from_file(
        cls,
        config_file: Optional[Union[Path, str]] = None,
        model_file: Optional[Union[Path, str]] = None,
        device: str = "cpu",
    ) -> Tuple[HiFiGANVocoderModel, argparse.Namespace]:
        """Rebuild from ``exp/<voc>/config.yaml`` (its saved ``mel``) and load the weights strictly."""
        return vocoder_model_from_file(config_file, model_file, device)
