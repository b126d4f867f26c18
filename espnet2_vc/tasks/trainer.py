"""espnet's Trainer with the pictures and sounds of voice conversion (doc/training.md, "Watching a training").

Every ``--plot_interval`` epochs, for the ``--num_att_plot`` first dev utterances (espnet's fixed plot
iterator), :class:`VCTrainer` converts the source free-running and draws the predicted against the target mel,
the predicted against the reference durations (as alignments) and the pitch / energy curves, and renders the
conversion with Griffin-Lim. They go to tensorboard (images and audio, with ``--use_tensorboard``), to wandb
(with ``--use_wandb``) and to ``<exp>/images/<utt>/<name>.<epoch>ep.{png,wav}``. espnet draws these only with
``--use_matplotlib true`` (its switch for every plot), and only on rank 0.
"""

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from espnet2.torch_utils.device_funcs import to_device
from espnet2.train.reporter import SubReporter
from espnet2.train.trainer import Trainer, TrainerOptions
from espnet2.utils.build_dataclass import build_dataclass


@dataclasses.dataclass
class VCTrainerOptions(TrainerOptions):
    plot_interval: int
    feats_extract_conf: Dict[str, Any]  # the mel settings (complete once VCTask.build_model has run)


def figures(view: Dict[str, torch.Tensor], utt: str) -> Dict[str, Any]:
    """Matplotlib figures of one :meth:`ESPnetVCModel.preview`: ``mel``, ``durations``, and ``pitch`` /
    ``energy`` when the network converts them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    arr = {k: v.detach().float().cpu().numpy() for k, v in view.items()}
    out = {}
    fig = Figure(figsize=(10, 6))
    for ax, key, title in zip(fig.subplots(2, 1), ("predicted", "target"), ("converted (free-running)", "target")):
        ax.imshow(arr[key].T, origin="lower", aspect="auto", interpolation="none")
        ax.set_title(f"{utt}: {title}, normalized log-mel")
        ax.set_ylabel("mel bin")
    fig.axes[-1].set_xlabel("frame")
    fig.tight_layout()
    out["mel"] = fig

    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    for key, style in (("durations_ref", "-"), ("durations", "--")):
        if key in arr:
            ends = np.cumsum(arr[key])
            ax.step(np.arange(len(ends)), ends, style, where="post", label=key.replace("_ref", " (reference)"))
    ax.set_xlabel("reduced source frame")
    ax.set_ylabel("reduced target frame (cumulative duration)")
    ax.set_title(f"{utt}: alignment")
    ax.legend()
    out["durations"] = fig

    for name in ("pitch", "energy"):
        if name not in arr:
            continue
        fig = Figure(figsize=(10, 3))
        ax = fig.subplots()
        # The prediction is per source frame: spread over the target frames by the predicted durations.
        r = max(1, round(len(arr["predicted"]) / max(1, int(arr["durations"].sum()))))
        spread = np.repeat(arr[name][: len(arr["durations"])], arr["durations"].astype(int) * r)
        ax.plot(arr[f"{name}_ref"], label="target")
        ax.plot(spread, label="converted")
        ax.set_title(f"{utt}: {name} (normalized)")
        ax.set_xlabel("frame")
        ax.legend()
        fig.tight_layout()
        out[name] = fig
    return out


def _pixels(fig: Any) -> np.ndarray:
    """A figure as an RGB array (wandb would draw it through pyplot, which these figures do not use)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class VCTrainer(Trainer):
    """espnet's Trainer; :meth:`plot_attention` (espnet's per-epoch plot hook) draws conversions instead."""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--plot_interval", type=int, default=5,
                            help="every N epochs, plot and render the first --num_att_plot dev utterances "
                            "(needs --use_matplotlib true; 0: never)")  # fmt: skip

    @classmethod
    def build_options(cls, args: argparse.Namespace) -> VCTrainerOptions:
        return build_dataclass(VCTrainerOptions, args)

    @classmethod
    def run(cls, model: torch.nn.Module, **kwargs: Any) -> None:
        """espnet's training loop; with wandb, gradients watched on the unwrapped module and the best values of
        ``--best_model_criterion`` in the run summary at the end (from the reporter of ``checkpoint.pth``)."""
        options: VCTrainerOptions = kwargs["trainer_options"]
        if options.use_wandb:
            import wandb

            if wandb.run is not None:
                wandb.watch(getattr(model, "module", model), log="gradients", log_freq=100)
        super().run(model=model, **kwargs)
        if options.use_wandb:
            cls._summarize(options)

    @staticmethod
    def _summarize(options: VCTrainerOptions) -> None:
        import wandb
        from espnet2.train.reporter import Reporter

        checkpoint = Path(options.output_dir) / "checkpoint.pth"
        if wandb.run is None or not checkpoint.exists():
            return
        reporter = Reporter()
        reporter.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=False)["reporter"])
        for phase, key, mode in options.best_model_criterion:
            if reporter.has(phase, key):
                best_epoch, best = reporter.sort_epochs_and_values(phase, key, mode)[0]
                wandb.run.summary[f"best_{phase}_{key}"] = best
                wandb.run.summary[f"best_{phase}_{key}_epoch"] = best_epoch

    @classmethod
    @torch.no_grad()
    def plot_attention(
        cls,
        model: torch.nn.Module,
        output_dir: Optional[Path],
        summary_writer: Any,
        iterator: Iterable[Tuple[List[str], Dict[str, torch.Tensor]]],
        reporter: SubReporter,
        options: VCTrainerOptions,
    ) -> None:
        epoch = reporter.get_epoch()
        if options.plot_interval <= 0 or (epoch % options.plot_interval != 0 and epoch != options.max_epoch):
            return
        from espnet2_vc.vocoder.registry import build_vocoder

        model = getattr(model, "module", model)  # DDP
        model.eval()
        mel = options.feats_extract_conf
        vocoder = build_vocoder("griffin_lim", {}, mel)
        images = None if output_dir is None else output_dir.parent / "images"
        rows = []
        for ids, batch in iterator:
            batch = to_device(batch, "cuda" if options.ngpu > 0 else "cpu")
            try:
                view = model.preview(**batch)
            except ValueError as e:  # e.g. an utterance shorter than the reduction factor
                logging.warning(f"{ids[0]}: not plotted: {e}")
                continue
            wav = vocoder(view["predicted_denorm"]).cpu().float().numpy()
            figs = figures(view, ids[0])
            cls._write(images, ids[0], epoch, figs, wav, int(mel["fs"]))
            if summary_writer is not None:
                for name, fig in figs.items():
                    summary_writer.add_figure(f"{ids[0]}/{name}", fig, epoch)
                summary_writer.add_audio(f"{ids[0]}/converted", wav[None], epoch, sample_rate=int(mel["fs"]))
            rows.append((ids[0], figs, wav))
            reporter.next()
        if options.use_wandb and rows:
            import wandb

            table = wandb.Table(columns=["utt", "epoch", "mel", "converted"])
            for utt, figs, wav in rows:
                table.add_data(utt, epoch, wandb.Image(_pixels(figs["mel"])),
                               wandb.Audio(wav, sample_rate=int(mel["fs"])))  # fmt: skip
            wandb.log({"dev conversions": table}, commit=False)

    @staticmethod
    def _write(images: Optional[Path], utt: str, epoch: int, figs: Dict[str, Any], wav: np.ndarray, fs: int) -> None:
        if images is None:
            return
        import soundfile as sf

        folder = images / utt
        folder.mkdir(parents=True, exist_ok=True)
        for name, fig in figs.items():
            fig.savefig(folder / f"{name}.{epoch}ep.png")
        sf.write(folder / f"converted.{epoch}ep.wav", wav, fs)
