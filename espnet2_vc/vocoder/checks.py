"""Checks that keep a vocoder consistent with the VC model whose mels it turns into speech.

The mel settings live once, in the VC config (``espnet2_vc.utils.config.mel_config``). The vocoder reads
them from there; any setting it states itself must agree, or training (or decoding) stops before it starts.
Every check raises ``ValueError`` with a message that names the setting, the file or the utterance.
"""

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from espnet2_vc.utils.kaldi import scp_head

# Mel settings that a vocoder may state, e.g. in ``model_conf.mel_loss_params`` (espnet MelSpectrogramLoss).
MEL_LOSS_KEYS = ("fs", "n_fft", "hop_length", "win_length", "window", "n_mels", "fmin", "fmax", "center", "log_base")
# Peak limits of the first target waveforms: above: int16 samples read as floats; below: near silence.
MAX_PEAK, MIN_PEAK = 1.0, 1e-3


def _canonical(key: str, value: Any, mel: Mapping[str, Any]) -> Any:
    """``value`` of mel setting ``key`` in a comparable form (None defaults resolved, numbers as float)."""
    if key == "fs" and isinstance(value, str):
        import humanfriendly

        value = humanfriendly.parse_size(value)
    if value is None:
        if key == "win_length":
            value = mel.get("n_fft")
        elif key == "fmin":
            value = 0
        elif key == "fmax":
            value = _canonical("fs", mel.get("fs"), mel) / 2
        elif key == "log_base":
            value = math.e
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def mel_differences(
    stated: Mapping[str, Any], mel: Mapping[str, Any], keys: Optional[Mapping[str, str]] = None
) -> List[Tuple[str, Any, Any]]:
    """``(key, stated value, VC value)`` for every setting of ``stated`` that means something else in ``mel``.

    Args:
        stated: Settings written by the vocoder side (a conf dict, or a saved mel dict).
        mel: The VC model's mel settings.
        keys: Which keys to compare, as ``{stated key: mel key}``; default: the keys both dicts have.
    """
    if keys is None:
        keys = {k: k for k in stated if k in mel}
    context = {**mel, **stated}  # a stated ``fmax: null`` means fs / 2 of the stated fs, else of the VC fs
    out = []
    for key, mel_key in keys.items():
        if key in stated and mel_key in mel:
            if _canonical(mel_key, stated[key], context) != _canonical(mel_key, mel[mel_key], mel):
                out.append((key, stated[key], mel[mel_key]))
    return out


def fill_mel_conf(
    conf: Optional[Mapping[str, Any]], mel: Mapping[str, Any], keys: Mapping[str, str], option: str, source: str
) -> Dict[str, Any]:
    """``conf`` with the mel settings in ``keys`` filled in from ``mel``; a different stated value is an error.

    Args:
        conf: A conf dict of the vocoder config (e.g. ``generator_conf``).
        mel: The VC model's mel settings.
        keys: ``{conf key: mel key}``, e.g. ``{"in_channels": "n_mels"}``.
        option: The option name used in the message, e.g. ``generator_conf``.
        source: Where ``mel`` comes from (the VC config path), for the message.
    """
    conf = dict(conf or {})
    diffs = mel_differences(conf, mel, keys)
    if diffs:
        text = ", ".join(f"{k}={a!r} (VC: {keys[k]}={b!r})" for k, a, b in diffs)
        raise ValueError(
            f"--{option}: {text} differ from the mel settings of the VC config {source}. The vocoder must use the "
            "VC model's mel settings: remove them from the vocoder config (they are filled in from --vc_config)."
        )
    for key, mel_key in keys.items():
        conf[key] = mel[mel_key]
    return conf


def check_upsampling(upsample_scales: Sequence[int], hop_length: int) -> None:
    """The generator must make exactly ``hop_length`` samples per mel frame."""
    product = int(np.prod(upsample_scales))
    if product != hop_length:
        raise ValueError(
            f"--generator_conf upsample_scales {list(upsample_scales)} multiply to {product}, but the VC config's "
            f"hop_length is {hop_length}: the generator must make one hop of samples per mel frame, e.g. "
            "[8, 8, 2, 2] for 256 or [5, 5, 4, 3] for 300 (upsample_kernel_sizes = 2 × each scale)"
        )


def check_saved_mel(saved: Optional[Mapping[str, Any]], mel: Mapping[str, Any], vocoder_config: str) -> None:
    """At decoding: the vocoder's saved mel settings must equal those of the VC model producing the mels."""
    if not saved:
        raise ValueError(f"{vocoder_config}: no 'mel' settings saved; is it a config written by vocoder_train?")
    diffs = mel_differences(saved, mel, {k: k for k in set(saved) | set(mel)})
    missing = sorted(set(mel) - set(saved))
    if diffs or missing:
        text = ", ".join(f"{k}: vocoder {a!r} vs VC {b!r}" for k, a, b in diffs)
        raise ValueError(
            f"{vocoder_config}: the vocoder was trained on other mels than this VC model makes ({text}"
            f"{'; not saved: ' + ', '.join(missing) if missing else ''}). Train a vocoder with --vc_config set to "
            "this VC model's config.yaml (scripts/vocoder.sh)."
        )


def check_wav_peaks(path: str, data_type: str, n: int = 5) -> List[float]:
    """Read the first ``n`` waveforms as training will (espnet data loader) and check their peaks.

    A peak above 1.0 means int16 samples were read as floats (targets far outside the generator's tanh
    range); below 1e-3 means near-silent targets. Either way the vocoder would learn nothing useful.

    Returns:
        The peaks, for logging.
    """
    from espnet2.train.dataset import ESPnetDataset

    dataset = ESPnetDataset([(path, "speech", data_type)], float_dtype="float32")
    peaks = []
    for utt, value in scp_head(path, n):
        wav = dataset[utt][1]["speech"]
        peak = float(np.abs(wav).max()) if wav.size else 0.0
        where = f"{value} (utterance {utt} of {path}, read as {data_type!r})"
        if peak > MAX_PEAK:
            raise ValueError(
                f"{where}: peak {peak:.4g} > {MAX_PEAK}: samples outside [-1, 1], i.e. int16 values read as floats "
                "(or clipped float audio). Dump 16-bit PCM wav files (vc.sh stage 2) or scale them by 1/32768."
            )
        if peak < MIN_PEAK:
            raise ValueError(
                f"{where}: peak {peak:.3g} < {MIN_PEAK}: near-silent target (audio scaled down twice, e.g. by "
                "1/32768 after a float read?). Check the dumped audio."
            )
        peaks.append(peak)
    return peaks


def check_feats_frames(utt: str, num_samples: int, feats_shape: Sequence[int], hop_length: int, n_mels: int) -> None:
    """GTA feats must have ``1 + num_samples // hop_length`` frames of ``n_mels`` bins (espnet's centered STFT).

    Args:
        utt: Utterance id (named in the message).
        num_samples: Samples of the target waveform.
        feats_shape: (T_feats, n_mels) of the predicted mels.
        hop_length: The VC config's hop.
        n_mels: The VC config's mel bins.
    """
    want = 1 + num_samples // hop_length
    if len(feats_shape) != 2 or feats_shape[0] != want or feats_shape[1] != n_mels:
        raise ValueError(
            f"{utt}: GTA feats have shape {tuple(feats_shape)}, but its target speech of {num_samples} samples needs "
            f"({want}, {n_mels}) = (1 + {num_samples} // {hop_length}, n_mels). Decode them with vc_inference "
            "--use_teacher_forcing true from the same tgt_wav.scp and VC model (scripts/vocoder.sh)."
        )


class UtteranceCheck:
    """The task's preprocess function: checks each utterance's GTA feats against its waveform."""

    def __init__(self, hop_length: int, n_mels: int):
        """Initialize with the VC mel config's ``hop_length`` and ``n_mels``."""
        self.hop_length = hop_length
        self.n_mels = n_mels

    def __call__(self, utt: str, data: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Return ``data`` unchanged; raise naming ``utt`` when ``feats`` and ``speech`` disagree."""
        if "feats" in data and "speech" in data:
            check_feats_frames(utt, len(data["speech"]), data["feats"].shape, self.hop_length, self.n_mels)
        return data


def check_first_feats(speech: Tuple[str, str], feats: Tuple[str, str], check: UtteranceCheck, n: int = 5) -> None:
    """Load the first ``n`` GTA feats (``(path, type)``) with their waveforms as training will; check their frames.

    The feats file's keys are the ones checked: GTA decoding may have left utterances out.
    """
    from espnet2.train.dataset import ESPnetDataset

    dataset = ESPnetDataset([(speech[0], "speech", speech[1]), (feats[0], "feats", feats[1])])
    for utt, _ in scp_head(feats[0], n):
        check(utt, dataset[utt][1])
