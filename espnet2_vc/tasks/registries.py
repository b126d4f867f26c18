"""The registries of :class:`espnet2_vc.tasks.vc.VCTask`, one per swappable part (``--<name>`` and
``--<name>_conf``), importable without the task itself (espnet's ``AbsTask`` and its import chain): reading a
config's settings needs the classes and their defaults, not the trainer."""

from typing import Optional

from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.asr.specaug.specaug import SpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.layers.global_mvn import GlobalMVN
from espnet2.train.class_choices import ClassChoices
from espnet2.tts.feats_extract.abs_feats_extract import AbsFeatsExtract
from espnet2.tts.feats_extract.dio import Dio
from espnet2.tts.feats_extract.energy import Energy
from espnet2.tts.feats_extract.log_mel_fbank import LogMelFbank

from espnet2_vc.vc.abs_vc import AbsVC
from espnet2_vc.vc.nars2s.nars2s import NARS2S
from espnet2_vc.vc.vtn.vtn import VTN


def _mvn_choices(name: str, default: Optional[str]) -> ClassChoices:
    return ClassChoices(name, classes=dict(global_mvn=GlobalMVN), type_check=AbsNormalize, default=default,
                        optional=True)  # fmt: skip


feats_extractor_choices = ClassChoices(
    "feats_extract", classes=dict(fbank=LogMelFbank), type_check=AbsFeatsExtract, default="fbank"
)
normalize_choices = _mvn_choices("normalize", "global_mvn")  # source features
tgt_normalize_choices = _mvn_choices("tgt_normalize", "global_mvn")  # target features
pitch_extractor_choices = ClassChoices(
    "pitch_extract", classes=dict(dio=Dio), type_check=AbsFeatsExtract, default=None, optional=True
)
energy_extractor_choices = ClassChoices(
    "energy_extract", classes=dict(energy=Energy), type_check=AbsFeatsExtract, default=None, optional=True
)
pitch_normalize_choices = _mvn_choices("pitch_normalize", None)
energy_normalize_choices = _mvn_choices("energy_normalize", None)
# Masks on the normalized source features in training only (espnet's ASR option; doc/vc.md: regularization).
specaug_choices = ClassChoices("specaug", classes=dict(specaug=SpecAug), type_check=AbsSpecAug, default=None,
                               optional=True)  # fmt: skip
# Named "tts" so that ESPnet users' habits (--tts_conf reduction_factor=3) carry over.
tts_choices = ClassChoices("tts", classes=dict(nars2s=NARS2S, vtn=VTN), type_check=AbsVC, default="nars2s")

# In the order VCTask lists them.
class_choices_list = [
    feats_extractor_choices,
    normalize_choices,
    tgt_normalize_choices,
    specaug_choices,
    tts_choices,
    pitch_extractor_choices,
    pitch_normalize_choices,
    energy_extractor_choices,
    energy_normalize_choices,
]
