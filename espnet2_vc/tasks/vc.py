"""VCTask: espnet's AbsTask for parallel voice conversion (``python -m espnet2_vc.bin.vc_train``)."""

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from espnet2.tasks.abs_task import AbsTask
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.utils.nested_dict_action import NestedDictAction
from typeguard import typechecked

from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.tasks.registries import class_choices_list
from espnet2_vc.tasks.tracking import wandb_runs
from espnet2_vc.tasks.trainer import VCTrainer
from espnet2_vc.tasks.vc_model import build_vc_model, vc_model_from_file
from espnet2_vc.utils.checkpoint import atomic_saves
from espnet2_vc.utils.config import check_registry_confs
from espnet2_vc.utils.pretrained import reported_init_param
from espnet2_vc.vc.compile import CompileSettings
from espnet2_vc.vc.espnet_model import DUMPED_FEATURES, ESPnetVCModel


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
        group.add_argument(
            "--compile_conf", action=NestedDictAction, default=dict(),
            help="torch.compile of the VC network, in place (keys enable, backend, mode, dynamic; defaults: "
            "espnet2_vc.vc.compile.CompileSettings, off); mixed precision: espnet's --use_amp",
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
        (:mod:`espnet2_vc.utils.pretrained`), wandb runs named and resumed (:mod:`espnet2_vc.tasks.tracking`), and
        checkpoints saved atomically. It runs in every training process (espnet spawns one per GPU)."""
        with atomic_saves(), reported_init_param(), wandb_runs(args):
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
        config["compile_conf"] = CompileSettings.from_conf(config.get("compile_conf")).as_conf()
        return config

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetVCModel:
        """Build feats → normalize → pitch/energy → network (:func:`espnet2_vc.tasks.vc_model.build_vc_model`)."""
        return build_vc_model(args)

    @classmethod
    def build_model_from_file(
        cls,
        config_file: Optional[Union[Path, str]] = None,
        model_file: Optional[Union[Path, str]] = None,
        device: str = "cpu",
    ) -> Tuple[ESPnetVCModel, argparse.Namespace]:
        """Rebuild a model from ``exp/*/config.yaml`` and load its weights strictly (``weights_only``)."""
        return vc_model_from_file(config_file, model_file, device)
