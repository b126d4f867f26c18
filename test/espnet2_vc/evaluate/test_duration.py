import math

import numpy as np
import pytest

from espnet2_vc.evaluate.duration import log_duration_ratio, speech_span_s
from espnet2_vc.evaluate.world import WorldFeatures, WorldSettings, analyze

FS = 16000
SETTINGS = WorldSettings(f0_method="dio")


@pytest.mark.parametrize("stretch", [0.8, 1.25])
def test_time_stretched_copy(speechlike, stretch):
    reference = analyze(speechlike(), FS, SETTINGS)
    stretched = analyze(speechlike(stretch=stretch, pad_s=(0.2, 0.4)), FS, SETTINGS)  # padding does not count
    assert log_duration_ratio(stretched, reference) == pytest.approx(math.log(stretch), abs=0.02)
    assert log_duration_ratio(reference, stretched) == pytest.approx(-math.log(stretch), abs=0.02)
    assert log_duration_ratio(reference, reference) == 0.0


def test_speech_span_counts_inner_pauses():
    power_db = np.full(100, -60.0)
    power_db[10:30] = 0.0
    power_db[60:70] = 0.0
    feats = WorldFeatures(16000, 5.0, np.zeros(100), np.zeros((100, 3)), power_db, 0.42)
    assert speech_span_s(feats, -20.0) == pytest.approx(60 * 0.005)
    assert speech_span_s(feats, 10.0) == 0.0
    assert math.isnan(log_duration_ratio(feats, feats, 10.0))
