"""Converting speech with a trained model: the ``VoiceConverter`` Python API behind ``vc_inference``."""

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch

from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.utils.audio import AudioError, as_waveform, check_rate, clipping, resample
from espnet2_vc.utils.config import mel_config
from espnet2_vc.utils.kaldi import read_kaldi, read_scp, write_kaldi
from espnet2_vc.utils.progress import progress
from espnet2_vc.vocoder.registry import build_vocoder


def resolve_model(
    model: Union[str, Path], cache_dir: Optional[Union[str, Path]] = None
) -> Tuple[Path, Path, Dict[str, Any]]:
    """Config, weights and vocoder options of a pack (extracted safely) or an experiment folder.

    A many-to-many model's speaker map (``spk2sid``) lies beside its ``config.yaml`` in both, where
    :class:`VoiceConverter` finds it.

    Args:
        model: ``model.zip`` made by ``vc_pack``, or ``exp/<vc_exp>``.
        cache_dir: Where a pack is extracted (default: ``<zip name>.unpacked/`` beside it).
    """
    model = Path(model)
    if model.is_dir():
        for name in ("valid.loss.ave.pth", "valid.loss.best.pth", "latest.pth"):  # as vc.sh decodes
            if (model / name).exists():
                return model / "config.yaml", model / name, {}  # spk2sid: beside config.yaml
        raise FileNotFoundError(f"{model}: no valid.loss.ave.pth, valid.loss.best.pth or latest.pth in it")
    from espnet2_vc.pack import unpack_model

    files = unpack_model(model, cache_dir or model.with_name(model.name + ".unpacked"))
    extra: Dict[str, Any] = {}
    if "vocoder_file" in files:
        from espnet2_vc.vocoder.trained import trained_generator

        extra = dict(vocoder=trained_generator(files["vocoder_config"]),
                     vocoder_conf=dict(model_file=files["vocoder_file"], config_file=files["vocoder_config"]))
    return Path(files["train_config"]), Path(files["model_file"]), extra


# Arguments of AbsVC.inference that the wrapper fills itself: not decoding options.
_WRAPPER_ARGS = {"src_feats", "tgt_feats", "alpha", "durations", "pitch", "energy", "src_pitch", "src_energy",
                 "src_sids", "tgt_sids"}  # fmt: skip


def check_decode_conf(network: Any, decode_conf: Dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the keys of ``decode_conf`` that ``network.inference`` does not take."""
    import inspect

    accepted = set(inspect.signature(network.inference).parameters) - _WRAPPER_ARGS
    unknown = sorted(set(decode_conf) - accepted)
    if unknown:
        raise ValueError(f"--decode_conf: unknown key(s) {unknown} for {type(network).__name__}; accepted: "
                         f"{', '.join(sorted(accepted)) or 'none'}")  # fmt: skip


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
        trim: Optional[bool] = None,
        decode_conf: Optional[Dict[str, Any]] = None,
        spk2sid: Optional[Union[str, Path]] = None,
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
            trim: Trim the edge silence of the input as stage 2 trimmed the training audio (the config's
                ``trim_conf``); None: as the config says. Never applied with teacher forcing, whose durations
                fit the untouched frames.
            decode_conf: More options of the network's decoding, e.g. ``{"threshold": 0.5, "maxlenratio": 3}``
                for VTN; a key the network does not take is an error.
            spk2sid: Speaker name → id map of a many-to-many model (``<name> <id>`` lines, made by stage 2 on
                the training set); None: ``spk2sid`` beside ``train_config`` when there is one.
        """
        from espnet2_vc.tasks.vc_model import vc_model_from_file

        self.model, self.train_args = vc_model_from_file(train_config, model_file, device)
        self.model.eval()
        self.device = device
        self.mel = mel_config(vars(self.train_args))
        self.vocoder = build_vocoder(vocoder, dict(vocoder_conf or {}), self.mel, device)
        self.use_teacher_forcing = use_teacher_forcing
        self.alpha = alpha
        self.decode_conf = dict(decode_conf or {})
        check_decode_conf(self.model.tts, self.decode_conf)
        if spk2sid is None and (Path(train_config).parent / "spk2sid").is_file():
            spk2sid = Path(train_config).parent / "spk2sid"
        self.speakers = {k: int(v) for k, v in read_kaldi(spk2sid, require_value=True).items()} if spk2sid else {}
        self.trim = TrimSettings.from_conf(getattr(self.train_args, "trim_conf", None))
        if trim is not None:
            self.trim = dataclasses.replace(self.trim, trim=trim)

    @property
    def fs(self) -> int:
        """Sampling rate of the model's input and output."""
        return int(self.mel["fs"])

    @classmethod
    def from_pretrained(
        cls, model: Union[str, Path], cache_dir: Optional[Union[str, Path]] = None, **kwargs: Any
    ) -> "VoiceConverter":
        """Load a packed ``model.zip`` (made by ``vc_pack``) or an experiment folder.

        Args:
            model: A pack, or ``exp/<vc_exp>`` (its ``config.yaml`` and best or latest checkpoint).
            cache_dir: Where a pack is extracted (default: ``<zip name>.unpacked/`` beside it).
            kwargs: Passed to :class:`VoiceConverter` (``device``, ``vocoder``, …).
        """
        config, weights, extra = resolve_model(model, cache_dir)
        for key, value in extra.items():
            kwargs.setdefault(key, value)
        return cls(config, weights, **kwargs)

    def speaker_id(self, name: str) -> torch.Tensor:
        """The id (1,) of speaker ``name``; a ``ValueError`` listing the known speakers if it is not one."""
        if name not in self.speakers:
            if not self.speakers:
                raise ValueError(f"speaker {name!r}: this model has no speaker names (a one-to-one model, or a "
                                 "many-to-many one without its spk2sid: give VoiceConverter(..., spk2sid=))")
            raise ValueError(f"unknown speaker {name!r}; this model knows: {', '.join(sorted(self.speakers))}")
        return torch.tensor([self.speakers[name]])

    @torch.no_grad()
    def __call__(
        self,
        wav: Union[np.ndarray, torch.Tensor],
        fs: Optional[int] = None,
        tgt_wav: Optional[Union[np.ndarray, torch.Tensor]] = None,
        durations: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
        src_spk: Optional[str] = None,
        tgt_spk: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Convert one utterance.

        Args:
            wav: Source waveform: numpy or torch, (T_wav,), (T_wav, channels) or (channels, T_wav) (channels
                averaged), float in [-1, 1] or integer PCM (scaled), as :func:`espnet2_vc.utils.audio.as_waveform`.
            fs: Its sampling rate; resampled to :attr:`fs` when different (None: already at :attr:`fs`).
            tgt_wav: Target waveform at :attr:`fs` (teacher forcing only).
            durations: Reference durations (N_src,) (teacher forcing only).
            src_sids / tgt_sids: Speaker ids (1,) for many-to-many models.
            src_spk / tgt_spk: Speaker names (of :attr:`speakers`), instead of the ids.

        Returns:
            ``wav`` (T_wav_out,) at :attr:`fs` when a vocoder is set, ``feat_gen`` / ``feat_gen_denorm``
            (T_out, n_mels), ``duration`` (N_src,), ``pitch`` / ``energy`` when converted, and ``rtf``
            (seconds of compute per second of input).

        Raises:
            AudioError: (a ``ValueError``) input without samples, of another shape or dtype, with NaN / inf
                samples, a bad ``fs``, silent, or shorter than one analysis window.
        """
        start = time.perf_counter()
        src_sids = self.speaker_id(src_spk) if src_spk is not None else src_sids
        tgt_sids = self.speaker_id(tgt_spk) if tgt_spk is not None else tgt_sids
        samples = as_waveform(wav)
        warning = clipping(samples, "the input")
        if warning:
            logging.warning(warning)
        samples = resample(samples, check_rate(fs) if fs is not None else self.fs, self.fs)
        given = len(samples)
        if self.trim.trim and not self.use_teacher_forcing:
            lo, hi = self.trim.bounds(samples, self.fs)
            if hi <= lo:
                raise AudioError("silent", f"the input is silent ({len(samples) / self.fs:.2f} s, trim_db "
                                 f"{self.trim.trim_db})")  # fmt: skip
            samples = samples[lo:hi]
        window = int(self.mel["n_fft"])
        if len(samples) < window:
            raise AudioError("too_short", f"the input is {1000 * len(samples) / self.fs:.0f} ms"
                             f"{' after trimming' if len(samples) < given else ''}, shorter than one analysis window "
                             f"(n_fft {window} = {1000 * window / self.fs:.0f} ms)")  # fmt: skip
        wav = torch.from_numpy(samples)

        def to(x: Any) -> Optional[torch.Tensor]:
            return None if x is None else torch.as_tensor(x).to(self.device)

        out = self.model.inference(
            wav.to(self.device),
            tgt_speech=None if tgt_wav is None else to(tgt_wav).float(),
            durations=to(durations),
            src_sids=to(src_sids),
            tgt_sids=to(tgt_sids),
            use_teacher_forcing=self.use_teacher_forcing,
            alpha=self.alpha,
            decode_conf=self.decode_conf,
        )
        if self.vocoder is not None:
            out["wav"] = self.vocoder(out["feat_gen_denorm"])
        if str(self.device).startswith("cuda"):
            torch.cuda.synchronize()  # the kernels queued above have run: the rtf is the whole conversion
        elapsed = time.perf_counter() - start
        out["rtf"] = elapsed / max(len(wav) / self.fs, 1e-9)
        return out


def unreadable_audio(data_path_and_name_and_type: list, keys: set) -> Dict[str, str]:
    """The utterances of ``keys`` whose audio (the ``sound`` inputs) is missing or not audio, with the reason.

    Reads each file's header only; NaN samples and the like are refused later, by :meth:`VoiceConverter.__call__`.
    """
    import soundfile as sf

    bad: Dict[str, str] = {}
    for path, _, kind in data_path_and_name_and_type:
        if kind != "sound":
            continue
        for utt, wav in read_scp(path).items():
            if utt not in keys or utt in bad:
                continue
            if not Path(wav).is_file():
                bad[utt] = f"missing: {wav}: no such file"
                continue
            try:
                sf.info(wav)
            except (sf.LibsndfileError, RuntimeError) as e:
                bad[utt] = f"unreadable: {wav}: {e}".replace("\n", " ")
    return bad


def convert_dataset(
    vc: VoiceConverter,
    data_path_and_name_and_type: list,
    output_dir: Path,
    key_file: Optional[str] = None,
    num_workers: int = 1,
    src_spk: Optional[str] = None,
    tgt_spk: Optional[str] = None,
) -> Tuple[int, int]:
    """Convert every utterance of an espnet data triple list; write the outputs listed in ``vc_inference``.

    An utterance whose audio cannot be read (checked first: :func:`unreadable_audio`) or whose input is refused
    (a ``ValueError``: NaN samples, too short, …) is logged and listed in ``output_dir/failed``
    (``<utt> <reason>: <message>``); the others are still converted. ``src_spk`` / ``tgt_spk`` name the
    speakers of every utterance (many-to-many), in place of the data's ids.

    Returns:
        The numbers of utterances converted and failed.
    """
    import kaldiio
    import soundfile as sf
    from espnet2.fileio.datadir_writer import DatadirWriter

    from espnet2_vc.tasks.vc import VCTask

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    keys = list(read_kaldi(key_file or data_path_and_name_and_type[0][0]))
    failed = unreadable_audio(data_path_and_name_and_type, set(keys))
    if failed:  # espnet's loader would stop the whole job at the first of them: leave them out
        key_file = str(output_dir / "keys_readable")
        write_kaldi(key_file, {k: "" for k in keys if k not in failed})
        for utt, reason in sorted(failed.items()):
            logging.error(f"{utt}: not converted: {reason}")
    if len(failed) == len(keys):
        write_kaldi(output_dir / "failed", failed)
        return 0, len(failed)
    loader = VCTask.build_streaming_iterator(
        data_path_and_name_and_type=data_path_and_name_and_type, preprocess_fn=None,
        collate_fn=VCTask.build_collate_fn(vc.train_args, False), key_file=key_file, batch_size=1,
        dtype="float32", num_workers=num_workers, allow_variable_data_keys=False, inference=True,
    )  # fmt: skip
    for sub in ("norm", "denorm", "wav"):
        (output_dir / sub).mkdir(parents=True, exist_ok=True)
    n, warm = 0, False
    with kaldiio.WriteHelper(f"ark,scp:{output_dir}/norm/feats.ark,{output_dir}/norm/feats.scp") as norm_w, \
            kaldiio.WriteHelper(f"ark,scp:{output_dir}/denorm/feats.ark,{output_dir}/denorm/feats.scp") as denorm_w, \
            DatadirWriter(output_dir / "durations") as dur_w, DatadirWriter(output_dir) as writer:  # fmt: skip
        for batch_keys, batch in progress(loader, "vc_inference", total=len(keys) - len(failed)):
            utt = batch_keys[0]
            item = {k: v[0] for k, v in batch.items() if not k.endswith("_lengths")}
            inputs = dict(wav=item["src_speech"], tgt_wav=item.get("tgt_speech"), durations=item.get("durations"),
                          src_sids=item.get("src_sids"), tgt_sids=item.get("tgt_sids"),
                          src_spk=src_spk, tgt_spk=tgt_spk)  # fmt: skip
            try:
                if not warm:  # the first call pays one-off costs (allocations, lazy imports): the rtf is warm
                    vc(**inputs)
                    warm = True
                out = vc(**inputs)
            except ValueError as e:  # this utterance's input (AudioError, durations that do not fit, …)
                failed[utt] = f"{getattr(e, 'reason', 'bad_input')}: {e}".replace("\n", " ")
                logging.error(f"{utt}: not converted: {failed[utt]}")
                continue
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
    write_kaldi(output_dir / "failed", failed)
    return n, len(failed)
