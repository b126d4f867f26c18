import math

import numpy as np
import pytest

from espnet2_vc.evaluate.f0 import f0_metrics
from espnet2_vc.evaluate.mcd import align
from espnet2_vc.evaluate.world import WorldSettings, analyze

FS = 16000


def test_f0_metrics_by_hand():
    conv = np.array([100.0, 110.0, 0.0, 130.0, 0.0])
    tgt = np.array([110.0, 130.0, 120.0, 150.0, 0.0])
    path = np.array([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
    res = f0_metrics(conv, tgt, path)
    assert res.n_voiced == 3 and res.n_cells == 5
    assert res.rmse_hz == pytest.approx(math.sqrt((10**2 + 20**2 + 20**2) / 3))
    assert res.corr == pytest.approx(np.corrcoef([100, 110, 130], [110, 130, 150])[0, 1])
    assert res.vuv_error == pytest.approx(1 / 5)
    none_voiced = f0_metrics(np.zeros(3), tgt[:3], path[:3])
    assert math.isnan(none_voiced.rmse_hz) and math.isnan(none_voiced.corr) and none_voiced.vuv_error == 1.0


@pytest.fixture(scope="module")
def settings():
    return WorldSettings(f0_method="harvest")


@pytest.fixture(scope="module")
def reference(speechlike, settings):
    return analyze(speechlike(), FS, settings)


def test_self_is_zero(reference):
    res = f0_metrics(reference.f0, reference.f0, align(reference, reference, -20.0).path)
    assert res.rmse_hz == 0.0 and res.vuv_error == 0.0 and res.corr == pytest.approx(1.0)


def _expected_rmse(reference, ratio):
    """RMSE of a copy at ``ratio`` times the reference's voiced speech F0."""
    voiced = reference.f0[reference.speech_mask(-20.0) & (reference.f0 > 0)]
    return float(np.sqrt(np.mean((voiced * (ratio - 1.0)) ** 2)))


@pytest.mark.parametrize("semitones", [-3, 2, 4])
def test_pitch_shifted_harmonic_signal(speechlike, settings, reference, semitones):
    ratio = 2 ** (semitones / 12)
    shifted = analyze(speechlike(f0_scale=ratio), FS, settings)
    res = f0_metrics(shifted.f0, reference.f0, align(shifted, reference, -20.0).path)
    assert res.rmse_hz == pytest.approx(_expected_rmse(reference, ratio), rel=0.1)
    assert res.corr > 0.9 and res.vuv_error < 0.05


def test_pitch_shifted_world_resynthesis(speechlike, settings, reference):
    import pyworld

    x = speechlike()
    f0, t = pyworld.harvest(x, FS, frame_period=5.0)
    sp, ap = pyworld.cheaptrick(x, f0, t, FS), pyworld.d4c(x, f0, t, FS)
    ratio = 2 ** (3 / 12)
    y = pyworld.synthesize(f0 * ratio, sp, ap, FS, 5.0)
    shifted = analyze(y, FS, settings)
    res = f0_metrics(shifted.f0, reference.f0, align(shifted, reference, -20.0).path)
    assert res.rmse_hz == pytest.approx(_expected_rmse(reference, ratio), rel=0.05)
    assert res.corr > 0.95
