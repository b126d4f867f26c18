"""The vocoder registry used at decoding."""

from typing import Any, Dict, Optional

from espnet2.train.class_choices import ClassChoices

from espnet2_vc.utils.config import check_conf_keys, class_defaults
from espnet2_vc.vocoder.abs_vocoder import AbsVocoder
from espnet2_vc.vocoder.griffin_lim import GriffinLimVocoder
from espnet2_vc.vocoder.trained import HiFiGANVocoder, VocosVocoder

vocoder_choices = ClassChoices(
    "vocoder", classes=dict(griffin_lim=GriffinLimVocoder, hifigan=HiFiGANVocoder, vocos=VocosVocoder),
    type_check=AbsVocoder, default="griffin_lim", optional=True,
)  # fmt: skip


def build_vocoder(
    name: Optional[str], conf: Dict[str, Any], mel: Dict[str, Any], device: str = "cpu"
) -> Optional[AbsVocoder]:
    """Build the vocoder ``name`` (None or ``none``: no waveforms) for the given mel settings.

    ``device`` is given to vocoders that take one (a neural vocoder), unless ``conf`` sets it.
    """
    if name is None or name.lower() in ("none", "null", "nil"):
        return None
    cls = vocoder_choices.get_class(name.lower())
    check_conf_keys(cls, conf, "vocoder")
    if "device" in class_defaults(cls):
        conf = {"device": device, **conf}
    return cls(mel, **conf)
