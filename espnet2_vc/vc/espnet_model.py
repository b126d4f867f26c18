"""The VC wrapper model: waveforms → features → normalization → pitch/energy → an :class:`AbsVC` network."""

from typing import Any, Dict, List, Optional, Tuple

import torch
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.train.abs_espnet_model import AbsESPnetModel
from espnet2.tts.feats_extract.abs_feats_extract import AbsFeatsExtract
from typeguard import typechecked

from espnet2_vc.vc.abs_vc import AbsAttentionVC, AbsVC
from espnet2_vc.vc.reduction import reduced_source_lengths, reduced_target_lengths

# Features that stage 3 can dump once (``--write_collected_feats``) and training then reads instead of
# recomputing them from the waveforms: the data names of ``vc_train``.
DUMPED_FEATURES = ("src_feats", "tgt_feats", "pitch", "energy", "src_pitch", "src_energy")


# Dumped prosody and the mel frames it must match, frame for frame (stage 3 writes them from one analysis).
_FRAMES_OF = {"pitch": "tgt_feats", "energy": "tgt_feats", "src_pitch": "src_feats", "src_energy": "src_feats"}


def check_dumped_lengths(data: Dict[str, Any], utt_ids: List[str]) -> None:
    """Raise ``ValueError`` naming the first utterance whose dumped pitch / energy has another number of frames
    than its dumped mel (features of different runs or settings mixed in one data list)."""
    for key, ref in _FRAMES_OF.items():
        got, want = data.get(f"{key}_lengths"), data.get(f"{ref}_lengths")
        if got is None or want is None:
            continue
        for i in torch.nonzero(got != want).flatten().tolist()[:1]:
            raise ValueError(
                f"{utt_ids[i]}: dumped {key} has {int(got[i])} frames but {ref} has {int(want[i])}; the features "
                "come from different runs or mel settings: redo stage 3 (vc.sh --stage 3 --force true)"
            )


def utterance_mvn(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Normalize each utterance to zero mean, unit variance over its valid frames (B, T, C)."""
    mask = (torch.arange(x.size(1), device=x.device)[None] < lengths[:, None]).to(x.dtype)[..., None]
    count = mask.sum(1, keepdim=True).clamp(min=1.0)
    mean = (x * mask).sum(1, keepdim=True) / count
    var = (((x - mean) * mask) ** 2).sum(1, keepdim=True) / count
    return (x - mean) / var.clamp(min=1e-8).sqrt() * mask


def check_durations(
    utt_ids: List[str],
    durations: torch.Tensor,
    durations_lengths: torch.Tensor,
    src_lengths: torch.Tensor,
    tgt_lengths: torch.Tensor,
    r: int,
) -> None:
    """Raise ``ValueError`` naming the first utterance whose durations do not fit its features.

    Args:
        utt_ids: Utterance ids of the batch.
        durations: (B, N_src) target frames per reduced source frame.
        durations_lengths: (B,).
        src_lengths: Source frames (B,).
        tgt_lengths: Target frames (B,).
        r: Reduction factor.
    """
    want_len = reduced_source_lengths(src_lengths, r)
    want_sum = reduced_target_lengths(tgt_lengths, r)
    sums = durations.sum(1)
    bad = (durations_lengths != want_len) | (sums != want_sum)  # the whole batch at once: one host sync, not B
    for i in torch.nonzero(bad).flatten().tolist()[:1]:  # the first misfit, named
        raise ValueError(
            f"{utt_ids[i]}: durations have {int(durations_lengths[i])} values summing to {int(sums[i])}, but the "
            f"features need {int(want_len[i])} values (source {int(src_lengths[i])} frames // r={r}) summing "
            f"to {int(want_sum[i])} (ceil(target {int(tgt_lengths[i])} frames / r)). Re-extract durations "
            "with the same mel settings and reduction factor (vc.sh stage 4)."
        )


# Checkpoint keys renamed since they were first written: old prefix → new (the source normalization was
# "normalize", espnet's option name, which a reader took for the target's). Loading maps them, strictly.
RENAMED_KEYS = {"normalize.": "src_normalize."}


def rename_old_keys(state_dict: Dict[str, Any], prefix: str = "") -> None:
    """Rename the keys of :data:`RENAMED_KEYS` (under ``prefix``) of a wrapper's state dict, in place."""
    for old, new in RENAMED_KEYS.items():
        for key in [k for k in state_dict if k.startswith(prefix + old)]:
            state_dict[prefix + new + key[len(prefix + old) :]] = state_dict.pop(key)


def _rename_old_keys(module: torch.nn.Module, state_dict: Dict[str, Any], prefix: str, *args: Any) -> None:
    """``load_state_dict`` pre-hook: :func:`rename_old_keys` (every loader goes through it: espnet's resume and
    n-best averaging, ``build_model_from_file``, packed models)."""
    rename_old_keys(state_dict, prefix)


class ESPnetVCModel(AbsESPnetModel):
    """Feature extraction, normalization and prosody extraction around a VC network."""

    @typechecked
    def __init__(
        self,
        feats_extract: AbsFeatsExtract,
        src_normalize: Optional[AbsNormalize],
        tgt_normalize: Optional[AbsNormalize],
        pitch_extract: Optional[AbsFeatsExtract],
        pitch_normalize: Optional[AbsNormalize],
        energy_extract: Optional[AbsFeatsExtract],
        energy_normalize: Optional[AbsNormalize],
        tts: AbsVC,
        specaug: Optional[AbsSpecAug] = None,
    ):
        """Initialize.

        Args:
            feats_extract: Mel extractor shared by source and target (one mel config).
            src_normalize: Source feature normalization (global MVN with the source stats).
            tgt_normalize: Target feature normalization (global MVN with the target stats).
            pitch_extract / pitch_normalize: Frame-level pitch and its normalization (target stats).
            energy_extract / energy_normalize: Frame-level energy and its normalization (target stats).
            tts: The VC network.
            specaug: Masks on the normalized source features, in training only (no parameters).
        """
        super().__init__()
        self.feats_extract = feats_extract
        self.src_normalize = src_normalize
        self.tgt_normalize = tgt_normalize
        self.pitch_extract = pitch_extract
        self.pitch_normalize = pitch_normalize
        self.energy_extract = energy_extract
        self.energy_normalize = energy_normalize
        self.tts = tts
        self.specaug = specaug
        self.register_load_state_dict_pre_hook(_rename_old_keys)
        for name, extractor in self._extractors().items():
            if (tts.takes(name) or tts.takes(f"src_{name}")) and extractor is None:
                raise ValueError(
                    f"the network converts {name} (--tts_conf use_{name}=true) but --{name}_extract is not set"
                )

    def _extractors(self) -> Dict[str, Optional[AbsFeatsExtract]]:
        """The prosody extractors by what they extract (``pitch``, ``energy``)."""
        return {"pitch": self.pitch_extract, "energy": self.energy_extract}

    def _side(
        self, data: Dict[str, torch.Tensor], feats_key: str, speech_key: str
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Features (B, T_feats, n_mels) and lengths of one side: dumped ones when given, else from the waveform."""
        if data.get(feats_key) is not None:
            return data[feats_key], data[f"{feats_key}_lengths"]
        if data.get(speech_key) is not None:
            return self.feats_extract(data[speech_key], data[f"{speech_key}_lengths"])
        return None, None

    def _prosody(
        self, name: str, key: str, data: Dict[str, torch.Tensor], speech_key: str, feats_lengths: torch.Tensor
    ) -> torch.Tensor:
        """Frame-level pitch or energy (B, T_feats, 1) aligned to the mel frames: dumped ``key``, else extracted."""
        value = data.get(key)
        if value is None:
            speech = data.get(speech_key)
            if speech is None:
                raise ValueError(f"the network needs {key}: give the dumped '{key}' data or '{speech_key}'")
            value, _ = self._extractors()[name](speech, data[f"{speech_key}_lengths"], feats_lengths=feats_lengths)
        return value[:, : int(feats_lengths.max())]

    def _features(self, data: Dict[str, torch.Tensor], normalize: bool) -> Dict[str, torch.Tensor]:
        """Everything the network takes, from dumped features where ``data`` has them, else from waveforms.

        Args:
            data: ``src_speech`` (B, T_wav) or ``src_feats`` (B, T_src, n_mels); optionally ``tgt_speech`` or
                ``tgt_feats``, dumped ``pitch`` / ``energy`` (B, T_tgt, 1) and ``src_pitch`` / ``src_energy``
                (B, T_src, 1); each with its ``*_lengths`` (B,).
            normalize: Apply the normalizations (False: raw values, as ``--collect_stats`` needs them).
        """
        out = {}
        src_feats, src_lengths = self._side(data, "src_feats", "src_speech")
        if src_feats is None:
            raise ValueError("no source input: give 'src_speech' (waveforms) or 'src_feats' (dumped features)")
        out.update(src_feats=src_feats, src_feats_lengths=src_lengths)
        for name in ("pitch", "energy"):
            if self.tts.takes(f"src_{name}"):
                out[f"src_{name}"] = self._prosody(name, f"src_{name}", data, "src_speech", src_lengths)
        tgt_feats, tgt_lengths = self._side(data, "tgt_feats", "tgt_speech")
        if tgt_feats is not None:
            out.update(tgt_feats=tgt_feats, tgt_feats_lengths=tgt_lengths)
            for name, extractor in self._extractors().items():
                if extractor is not None:
                    out[name] = self._prosody(name, name, data, "tgt_speech", tgt_lengths)
        if normalize:
            for name in ("src_pitch", "src_energy"):  # the source's own contour, per utterance
                if name in out:
                    out[name] = utterance_mvn(out[name], src_lengths)
            for key, norm in (("src_feats", self.src_normalize), ("tgt_feats", self.tgt_normalize),
                              ("pitch", self.pitch_normalize), ("energy", self.energy_normalize)):  # fmt: skip
                if norm is not None and key in out:
                    lengths = out["src_feats_lengths" if key == "src_feats" else "tgt_feats_lengths"]
                    # A copy: espnet's GlobalMVN normalizes in place, and dumped features are the caller's.
                    out[key] = norm(out[key].clone(), lengths)[0]
        return out

    def forward(
        self,
        src_speech: Optional[torch.Tensor] = None,
        src_speech_lengths: Optional[torch.Tensor] = None,
        tgt_speech: Optional[torch.Tensor] = None,
        tgt_speech_lengths: Optional[torch.Tensor] = None,
        durations: Optional[torch.Tensor] = None,
        durations_lengths: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Compute the loss.

        Args:
            src_speech: Source waveforms (B, T_src_wav), unless ``src_feats`` are given.
            src_speech_lengths: (B,).
            tgt_speech: Target waveforms (B, T_tgt_wav), unless ``tgt_feats`` are given.
            tgt_speech_lengths: (B,).
            durations: Target frames per reduced source frame (B, N_src).
            durations_lengths: (B,).
            src_sids: Source speaker ids (B, 1).
            tgt_sids: Target speaker ids (B, 1).
            kwargs: Dumped features (stage 3, see :data:`DUMPED_FEATURES`) with their ``*_lengths``, used
                instead of recomputing them: ``src_feats`` / ``tgt_feats`` (B, T, n_mels), ``pitch`` /
                ``energy`` (B, T_tgt, 1), ``src_pitch`` / ``src_energy`` (B, T_src, 1); and ``utt_id`` (list of
                str, given by espnet's Trainer) to name utterances in errors.

        Returns:
            Loss scalar, statistics, batch-size weight.
        """
        data = dict(src_speech=src_speech, src_speech_lengths=src_speech_lengths, tgt_speech=tgt_speech,
                    tgt_speech_lengths=tgt_speech_lengths)  # fmt: skip
        data.update({k: v for k, v in kwargs.items() if k.replace("_lengths", "") in DUMPED_FEATURES})
        batch_size = next((v.size(0) for v in data.values() if isinstance(v, torch.Tensor)), 0)
        utt_ids = list(kwargs.get("utt_id") or [f"batch item {i}" for i in range(batch_size)])
        check_dumped_lengths(data, utt_ids)
        device = next((v.device for v in data.values() if isinstance(v, torch.Tensor)), torch.device("cpu"))
        with torch.autocast(device.type, enabled=False):
            batch = self._features(data, normalize=True)
        if self.specaug is not None and self.training:
            batch["src_feats"] = self.specaug(batch["src_feats"], batch["src_feats_lengths"])[0]
        if "tgt_feats" not in batch:
            raise ValueError("no target input for training: give 'tgt_speech' or 'tgt_feats'")
        if self.tts.requires_durations:
            if durations is None:
                name = type(self.tts).__name__
                raise ValueError(f"{name} trains on durations: give the 'durations' data (vc.sh stage 4)")
            check_durations(
                utt_ids, durations, durations_lengths, batch["src_feats_lengths"], batch["tgt_feats_lengths"],
                self.tts.reduction_factor,
            )  # fmt: skip
            batch.update(durations=durations, durations_lengths=durations_lengths)
        if src_sids is not None:
            batch["src_sids"] = src_sids
        if tgt_sids is not None:
            batch["tgt_sids"] = tgt_sids
        return self.tts(**self._conditions(batch))

    @torch.no_grad()
    def preview(self, **data: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The first utterance of a training batch converted free-running, beside its references (for the plots
        of training, :mod:`espnet2_vc.tasks.trainer`).

        Returns:
            ``predicted`` (T_out, odim) and ``target`` (T_tgt, odim), normalized; ``predicted_denorm``
            (T_out, odim); ``durations`` (N_src,) predicted and ``durations_ref`` given (when in ``data``);
            predicted ``pitch`` / ``energy`` per source frame and the target's ``pitch_ref`` / ``energy_ref`` per
            target frame, for the networks that convert them.
        """
        batch = self._features({k: v[:1] for k, v in data.items() if isinstance(v, torch.Tensor)}, normalize=True)
        n_src, n_tgt = int(batch["src_feats_lengths"][0]), int(batch["tgt_feats_lengths"][0])
        conditions = {k: v[0, :n_src] for k, v in self._conditions(batch).items() if k in ("src_pitch", "src_energy")}
        sids = {k: data[k][:1] for k in ("src_sids", "tgt_sids") if data.get(k) is not None}
        out = self.tts.inference(batch["src_feats"][0, :n_src], **conditions, **sids)
        view = dict(predicted=out["feat_gen"], target=batch["tgt_feats"][0, :n_tgt], durations=out["duration"])
        view["predicted_denorm"] = self._denormalized(out["feat_gen"])
        if data.get("durations") is not None:
            view["durations_ref"] = data["durations"][0, : int(data["durations_lengths"][0])]
        for name in ("pitch", "energy"):
            if name in out and name in batch:
                view[name], view[f"{name}_ref"] = out[name].flatten(), batch[name][0, :n_tgt].flatten()
        return view

    def _denormalized(self, feats: torch.Tensor) -> torch.Tensor:
        """Generated target features (T, odim) back from the target normalization."""
        if self.tgt_normalize is None:
            return feats
        return self.tgt_normalize.inverse(feats[None].clone())[0][0]

    def _conditions(self, batch: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``batch`` without the pitch / energy the network does not take (see :mod:`espnet2_vc.vc.abs_vc`)."""
        unused = [name for name in ("pitch", "energy", "src_pitch", "src_energy") if not self.tts.takes(name)]
        return {k: v for k, v in batch.items() if k not in unused}

    def collect_feats(
        self,
        src_speech: torch.Tensor,
        src_speech_lengths: torch.Tensor,
        tgt_speech: Optional[torch.Tensor] = None,
        tgt_speech_lengths: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> Dict[str, torch.Tensor]:
        """Unnormalized features for ``--collect_stats`` (and, with ``--write_collected_feats``, the dump).

        Returns:
            ``src_feats``, ``tgt_feats`` and, as the model uses them, ``pitch`` / ``energy`` (target frames) and
            ``src_pitch`` / ``src_energy`` (source frames, before the per-utterance normalization), each with
            its ``*_lengths``.
        """
        data = dict(src_speech=src_speech, src_speech_lengths=src_speech_lengths, tgt_speech=tgt_speech,
                    tgt_speech_lengths=tgt_speech_lengths)  # fmt: skip
        out = self._features(data, normalize=False)
        stats = {"src_feats": out["src_feats"], "src_feats_lengths": out["src_feats_lengths"]}
        for name in ("src_pitch", "src_energy"):
            if name in out:
                stats.update({name: out[name], f"{name}_lengths": out["src_feats_lengths"]})
        if "tgt_feats" in out:
            stats.update(tgt_feats=out["tgt_feats"], tgt_feats_lengths=out["tgt_feats_lengths"])
            for name in ("pitch", "energy"):
                if name in out:
                    stats.update({name: out[name], f"{name}_lengths": out["tgt_feats_lengths"]})
        return stats

    @torch.no_grad()
    def alignments(self, **data: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced attention of an attention network (:class:`AbsAttentionVC`) for a batch.

        Args:
            data: ``src_speech`` / ``tgt_speech`` (or dumped ``src_feats`` / ``tgt_feats``) with their
                ``*_lengths``, and ``src_sids`` / ``tgt_sids`` when the model has speakers.

        Returns:
            Attention (B, L, H, N_tgt, N_src), reduced source lengths (B,) and reduced target lengths (B,).
        """
        if not isinstance(self.tts, AbsAttentionVC):
            raise TypeError(f"{type(self.tts).__name__} has no source attention to read durations from (--tts vtn)")
        batch = self._features(data, normalize=True)
        if "tgt_feats" not in batch:
            raise ValueError("alignments need the target: give 'tgt_speech' or 'tgt_feats'")
        batch.update({k: data[k] for k in ("src_sids", "tgt_sids") if data.get(k) is not None})
        r = self.tts.reduction_factor
        att = self.tts.alignments(**self._conditions(batch))
        ns = reduced_source_lengths(batch["src_feats_lengths"], r)
        return att, ns, reduced_target_lengths(batch["tgt_feats_lengths"], r)

    @torch.no_grad()
    def inference(
        self,
        src_speech: torch.Tensor,
        tgt_speech: Optional[torch.Tensor] = None,
        durations: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
        use_teacher_forcing: bool = False,
        alpha: float = 1.0,
        decode_conf: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, torch.Tensor]:
        """Convert one utterance.

        Args:
            src_speech: Source waveform (T_wav,).
            tgt_speech: Target waveform (T_wav,), needed for teacher forcing.
            durations: Forced durations (N_src,), needed for teacher forcing.
            src_sids / tgt_sids: Speaker ids (1,).
            use_teacher_forcing: Use the reference durations, pitch and energy and return exactly the target's
                number of frames (ground-truth-aligned decoding, e.g. for vocoder fine-tuning).
            alpha: Speaking-rate control.
            decode_conf: More keyword arguments of the network's ``inference`` (e.g. VTN's ``threshold``,
                ``maxlenratio``).

        Returns:
            ``feat_gen`` (T_out, odim) normalized, ``feat_gen_denorm`` (T_out, odim), ``duration`` (N_src,) and
            the predicted (or forced) ``pitch`` / ``energy`` per source frame when the network converts them.
        """
        if use_teacher_forcing and (tgt_speech is None or (durations is None and self.tts.requires_durations)):
            needs = "the target speech" + (" and its durations" if self.tts.requires_durations else "")
            raise ValueError(f"teacher forcing needs {needs}")
        length = lambda x: x.new_tensor([x.size(0)], dtype=torch.long)  # noqa: E731
        tgt, tgt_lengths = (tgt_speech[None], length(tgt_speech)) if use_teacher_forcing else (None, None)
        data = dict(src_speech=src_speech[None], src_speech_lengths=length(src_speech), tgt_speech=tgt,
                    tgt_speech_lengths=tgt_lengths)  # fmt: skip
        feats = self._features(data, normalize=True)
        if use_teacher_forcing and self.tts.requires_durations:
            feats["durations"] = durations
        feats = self._conditions(feats)
        kwargs = {k: v[0] for k, v in feats.items() if k in ("tgt_feats", "pitch", "energy", "src_pitch", "src_energy")}
        if "durations" in feats:
            kwargs["durations"] = feats["durations"]
        kwargs.update(src_sids=src_sids, tgt_sids=tgt_sids, alpha=alpha)
        out = self.tts.inference(feats["src_feats"][0], **kwargs, **(decode_conf or {}))
        out["feat_gen_denorm"] = self._denormalized(out["feat_gen"])
        return out
