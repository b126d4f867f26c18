"""VCTask: espnet's AbsTask for parallel voice conversion (``python -m espnet2_vc.bin.vc_train``)."""

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from espnet2.tasks.abs_task import AbsTask
from espnet2.train.class_choices import ClassChoices
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.utils.nested_dict_action import NestedDictAction
from typeguard import typechecked

from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.tasks.registries import (
    class_choices_list,
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
from espnet2_vc.tasks.tracking import wandb_runs
from espnet2_vc.tasks.trainer import VCTrainer
from espnet2_vc.utils.checkpoint import load_weights
from espnet2_vc.utils.config import (
    check_conf_keys,
    check_mel_settings,
    check_registry_confs,
    chosen_class,
    class_defaults,
    load_saved_args,
)
from espnet2_vc.utils.pretrained import reported_init_param
from espnet2_vc.vc.espnet_model import DUMPED_FEATURES, ESPnetVCModel

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


class VCTask(AbsTask):
    """Parallel voice conversion: source speech → target speech with per-source-frame durations."""

    num_optimizers: int = 1
    class_choices_list = class_choices_list
    trainer = VCTrainer

    @classmethod
    @typechecked
    def add_task_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add ``--<registry>`` and ``--<registry>_conf`` for every registry."""
        group = parser.add_argument_group(description="Task related")
        group.add_argument(
            "--trim_conf", action=NestedDictAction, default=dict(),
            help="edge-silence trimming of the input audio: stage 2 dumps with it and VoiceConverter converts a "
            "wav with it (keys trim, trim_db, trim_margin; defaults: espnet2_vc.data.trim.TrimSettings)",
        )  # fmt: skip
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)

    @classmethod
    @typechecked
    def build_collate_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Callable[[Collection[Tuple[str, Dict[str, np.ndarray]]]], Tuple[List[str], Dict[str, torch.Tensor]]]:
        """Pad sequences; speaker ids are not sequences."""
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=0, not_sequence=["src_sids", "tgt_sids"])

    @classmethod
    @typechecked
    def build_preprocess_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Optional[Callable[[str, Dict[str, np.ndarray]], Dict[str, np.ndarray]]]:
        """No preprocessing: waveforms go to the model as they are in dump/raw."""
        return None

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """``src_speech`` for inference; training takes each side as speech or dumped features (see below)."""
        return ("src_speech",) if inference else ()

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """Durations and speaker ids (and the target speech for teacher-forced inference); in training the
        waveforms or the features that stage 3 dumped (:data:`DUMPED_FEATURES`)."""
        names = ("durations", "src_sids", "tgt_sids")
        if inference:
            return names + ("tgt_speech",)
        return names + ("src_speech", "tgt_speech") + DUMPED_FEATURES

    @classmethod
    def check_task_requirements(
        cls, dataset: Any, allow_variable_data_keys: bool, train: bool, inference: bool = False
    ) -> None:
        """espnet's check, plus: in training, each side comes as waveforms or as dumped features."""
        super().check_task_requirements(dataset, allow_variable_data_keys, train, inference)
        if inference:
            return
        for side in ("src", "tgt"):
            if not (dataset.has_name(f"{side}_speech") or dataset.has_name(f"{side}_feats")):
                raise RuntimeError(
                    f"VCTask needs '{side}_speech' (a wav.scp, type sound) or '{side}_feats' (the features stage 3 "
                    f"dumped: exp/vc_stats/<split>/collect_feats/{side}_feats.scp, type npy); the data are "
                    f"{dataset.names()}"
                )

    @classmethod
    @typechecked
    def main_worker(cls, args: argparse.Namespace) -> None:
        """espnet's training, with ``--init_param`` read from an exp dir, a zip or a checkpoint and reported
        (:mod:`espnet2_vc.utils.pretrained`), and wandb runs named and resumed (:mod:`espnet2_vc.tasks.tracking`)."""
        with reported_init_param(), wandb_runs(args):
            super().main_worker(args)

    @classmethod
    def build_sequence_iter_factory(cls, args: argparse.Namespace, iter_options: Any, mode: str) -> Any:
        """espnet's iterator, plus a log of the pairs per batch and of the schedule it gives.

        A warmup longer than the whole run (the learning rate never peaks) is logged as a warning.
        """
        factory = super().build_sequence_iter_factory(args, iter_options, mode)
        sizes = [len(batch) for batch in factory.sampler]
        if mode != "train" or not sizes:
            return factory
        per_epoch = len(sizes) if args.num_iters_per_epoch is None else args.num_iters_per_epoch
        total = per_epoch * args.max_epoch // max(1, args.accum_grad)
        logging.info(
            f"[train] {np.mean(sizes):.1f} pairs per batch (min {min(sizes)}, max {max(sizes)}) over "
            f"{len(sizes)} batches; {per_epoch} iterations per epoch x {args.max_epoch} epochs = {total} "
            "optimizer steps"
        )
        warmup = (getattr(args, "scheduler_conf", None) or {}).get("warmup_steps")
        if warmup is not None and warmup > total:
            logging.warning(
                f"scheduler warmup_steps {warmup} > the {total} optimizer steps of this run: the learning rate "
                "never reaches its peak; lower warmup_steps or train longer (max_epoch, num_iters_per_epoch)"
            )
        return factory

    @classmethod
    def get_default_config(cls) -> Dict[str, Any]:
        """Config for ``--print_config``; an unknown key in any ``--<registry>_conf`` is an error."""
        config = super().get_default_config()
        check_registry_confs(config, cls.class_choices_list)
        config["trim_conf"] = dataclasses.asdict(TrimSettings.from_conf(config.get("trim_conf")))
        return config

    @classmethod
    def _build(cls, args: argparse.Namespace, choices: ClassChoices, **extra: Any) -> Optional[torch.nn.Module]:
        class_obj = chosen_class(choices, getattr(args, choices.name))
        if class_obj is None:
            return None
        conf = getattr(args, f"{choices.name}_conf") or {}
        check_conf_keys(class_obj, conf, choices.name)
        return class_obj(**extra, **conf)

    @classmethod
    @typechecked
    def build_model(cls, args: argparse.Namespace) -> ESPnetVCModel:
        """Build feats → normalize → pitch/energy → network from the parsed options."""
        # Saved back in full so that exp/*/config.yaml states the trimming a wav gets before conversion.
        args.trim_conf = dataclasses.asdict(TrimSettings.from_conf(getattr(args, "trim_conf", None)))
        mel = class_defaults(chosen_class(feats_extractor_choices, args.feats_extract))
        mel.update(args.feats_extract_conf or {})
        check_mel_settings(mel)  # before espnet's layers see them: one error naming the setting
        feats_extract = cls._build(args, feats_extractor_choices)
        odim = feats_extract.output_size()
        # Saved back complete, so that reading exp/*/config.yaml's mel settings and reduction factor needs
        # neither espnet nor this task (espnet2_vc.utils.config.mel_config).
        args.feats_extract_conf = mel

        # Without stats yet (collect_stats mode) there is nothing to normalize with.
        norms = {}
        for choices in (normalize_choices, tgt_normalize_choices, pitch_normalize_choices, energy_normalize_choices):
            norms[choices.name] = None if args.collect_stats else cls._build(args, choices)
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
        tts = cls._build(args, tts_choices, idim=odim, odim=odim)
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
            specaug=cls._build(args, specaug_choices) if getattr(args, "specaug", None) else None,
        )
        n_params = sum(p.numel() for p in model.parameters())
        logging.info(f"VC model: {type(tts).__name__}, {n_params / 1e6:.2f} M parameters")
        return model

    @classmethod
    def build_model_from_file(
        cls,
        config_file: Optional[Union[Path, str]] = None,
        model_file: Optional[Union[Path, str]] = None,
        device: str = "cpu",
    ) -> Tuple[ESPnetVCModel, argparse.Namespace]:
        """Rebuild a model from ``exp/*/config.yaml`` and load its weights strictly (``weights_only``).

        Unlike espnet's default this never loads partially: a missing or unexpected parameter is an error.
        """
        args = load_saved_args(config_file, model_file)
        args.collect_stats = False
        model = cls.build_model(args).to(device)
        if model_file is not None:
            load_weights(model, model_file, device)
        return model, args
