"""Converting speech with a trained model: the ``VoiceConverter`` Python API behind ``vc_inference``."""

import logging
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np
import torch

from espnet2_vc.utils.config import mel_config
from espnet2_vc.vocoder.registry import build_vocoder


class VoiceConverter:
    """A trained VC model plus a vocoder.

    Example:
        >>> vc = VoiceConverter("exp/vc_train/config.yaml", "exp/vc_train/valid.loss.best.pth")
        >>> out = vc(torch.from_numpy(source_wav))
        >>> out["wav"], out["feat_gen_denorm"]
    """

    def __init__(
        self,
        train_config: Union[str, Path],
        model_file: Optional[Union[str, Path]] = None,
        device: str = "cpu",
        vocoder: Optional[str] = "griffin_lim",
        vocoder_conf: Optional[Dict[str, Any]] = None,
        use_teacher_forcing: bool = False,
        alpha: float = 1.0,
    ):
        """Load the model.

        Args:
            train_config: ``exp/<vc_exp>/config.yaml``.
            model_file: Weights (``*.pth``); None keeps the initial weights (tests only).
            device: ``cpu`` or ``cuda``.
            vocoder: Vocoder registry name, or None / ``none`` for features only.
            vocoder_conf: Keyword arguments of the vocoder.
            use_teacher_forcing: Decode with the reference durations, pitch and energy.
            alpha: Speaking-rate control (>1 faster).
        """
        from espnet2_vc.tasks.vc import VCTask

        self.model, self.train_args = VCTask.build_model_from_file(train_config, model_file, device)
        self.model.eval()
        self.device = device
        self.mel = mel_config(vars(self.train_args))
        self.vocoder = build_vocoder(vocoder, dict(vocoder_conf or {}), self.mel)
        self.use_teacher_forcing = use_teacher_forcing
        self.alpha = alpha

    @property
    def fs(self) -> int:
        """Sampling rate of the model's input and output."""
        return int(self.mel["fs"])

    @torch.no_grad()
    def __call__(
        self,
        src_speech: torch.Tensor,
        tgt_speech: Optional[torch.Tensor] = None,
        durations: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> Dict[str, Any]:
        """Convert one utterance given as a waveform (T_wav,) at :attr:`fs`.

        Returns:
            ``feat_gen`` / ``feat_gen_denorm`` (T_out, n_mels), ``duration`` (N_src,), ``wav`` (T_wav_out,)
            when a vocoder is set, ``pitch`` / ``energy`` when converted, and ``rtf`` (seconds of compute per
            second of input).
        """
        start = time.perf_counter()
        to = lambda x: None if x is None else torch.as_tensor(x).to(self.device)  # noqa: E731
        out = self.model.inference(
            to(src_speech).float(),
            tgt_speech=None if tgt_speech is None else to(tgt_speech).float(),
            durations=to(durations),
            src_sids=to(src_sids),
            tgt_sids=to(tgt_sids),
            use_teacher_forcing=self.use_teacher_forcing,
            alpha=self.alpha,
        )
        if self.vocoder is not None:
            out["wav"] = self.vocoder(out["feat_gen_denorm"])
        elapsed = time.perf_counter() - start
        out["rtf"] = elapsed / max(len(src_speech) / self.fs, 1e-9)
        logging.debug(f"converted {len(src_speech) / self.fs:.2f} s in {elapsed:.2f} s")
        return out

    def to_numpy(self, out: Dict[str, Any]) -> Dict[str, np.ndarray]:
        """The tensors of an output dict as numpy arrays on the CPU."""
        return {k: v.detach().cpu().numpy() for k, v in out.items() if isinstance(v, torch.Tensor)}


def convert_dataset(
    vc: VoiceConverter,
    data_path_and_name_and_type: list,
    output_dir: Path,
    key_file: Optional[str] = None,
    num_workers: int = 1,
) -> int:
    """Convert every utterance of an espnet data triple list; write the outputs listed in ``vc_inference``.

    Returns:
        The number of utterances converted.
    """
    import kaldiio
    import soundfile as sf
    from espnet2.fileio.datadir_writer import DatadirWriter

    from espnet2_vc.tasks.vc import VCTask

    output_dir = Path(output_dir)
    loader = VCTask.build_streaming_iterator(
        data_path_and_name_and_type=data_path_and_name_and_type, preprocess_fn=None,
        collate_fn=VCTask.build_collate_fn(vc.train_args, False), key_file=key_file, batch_size=1,
        dtype="float32", num_workers=num_workers, allow_variable_data_keys=False, inference=True,
    )  # fmt: skip
    for sub in ("norm", "denorm", "wav"):
        (output_dir / sub).mkdir(parents=True, exist_ok=True)
    n = 0
    with kaldiio.WriteHelper(f"ark,scp:{output_dir}/norm/feats.ark,{output_dir}/norm/feats.scp") as norm_w, \
            kaldiio.WriteHelper(f"ark,scp:{output_dir}/denorm/feats.ark,{output_dir}/denorm/feats.scp") as denorm_w, \
            DatadirWriter(output_dir / "durations") as dur_w, DatadirWriter(output_dir) as writer:  # fmt: skip
        for keys, batch in loader:
            utt = keys[0]
            item = {k: v[0] for k, v in batch.items() if not k.endswith("_lengths")}
            out = vc(item["src_speech"], item.get("tgt_speech"), item.get("durations"), item.get("src_sids"),
                     item.get("tgt_sids"))  # fmt: skip
            norm_w[utt] = out["feat_gen"].cpu().numpy()
            denorm_w[utt] = out["feat_gen_denorm"].cpu().numpy()
            dur_w["durations"][utt] = " ".join(map(str, out["duration"].tolist()))
            writer["rtf"][utt] = f"{out['rtf']:.4f}"
            if "wav" in out:
                wav_path = output_dir / "wav" / f"{utt}.wav"
                sf.write(wav_path, out["wav"].cpu().numpy(), vc.fs, subtype="PCM_16")
                writer["wav.scp"][utt] = str(wav_path)
            n += 1
            logging.info(f"{utt}: {len(item['src_speech']) / vc.fs:.2f} s → {out['feat_gen'].size(0)} frames, "
                         f"rtf {out['rtf']:.3f}")  # fmt: skip
    return n
