import numpy as np
import pytest

from espnet2_vc.evaluate.world import MCEP_PARAMS, WorldSettings, analyze, frame_power_db, mcep_params


@pytest.mark.parametrize("fs", sorted(MCEP_PARAMS))
def test_mcep_params_table(fs):
    assert mcep_params(fs) == MCEP_PARAMS[fs]
    assert mcep_params(fs, order=10, alpha=0.3) == (10, 0.3)


def test_mcep_params_other_rate():
    order, alpha = mcep_params(20000)
    assert order == MCEP_PARAMS[16000][0]
    assert 0.42 < alpha < 0.45


def test_frame_power_db_is_relative_to_mean_power():
    sp = np.random.default_rng(0).random((50, 257)) * np.logspace(-3, 0, 50)[:, None]
    power_db = frame_power_db(sp)
    assert power_db.shape == (50,)
    np.testing.assert_allclose(np.mean(10 ** (power_db / 10)), 1.0)
    # A flat spectrum of value p has power p: frame k is ten times frame 0 -> +10 dB.
    flat = np.stack([np.full(129, 1.0), np.full(129, 10.0)])
    np.testing.assert_allclose(np.diff(frame_power_db(flat)), [10.0])


@pytest.mark.parametrize("method", ["harvest", "dio"])
def test_analyze_shapes(speechlike, method):
    wav = speechlike(seconds=0.5)
    feats = analyze(wav, 16000, WorldSettings(f0_method=method))
    n = 1 + int(1000 * len(wav) / 16000 / 5.0)
    assert feats.f0.shape == (n,) and feats.power_db.shape == (n,)
    assert feats.mcep.shape == (n, MCEP_PARAMS[16000][0] + 1)
    assert feats.alpha == MCEP_PARAMS[16000][1]
    voiced = feats.f0[feats.f0 > 0]
    assert 80 < np.median(voiced) < 180  # the generator glides around 130 Hz
    assert feats.speech_mask(-20.0).mean() > 0.8  # only the pause is silence


def test_analyze_rejects_silence_and_bad_settings():
    with pytest.raises(ValueError, match="all zeros"):
        analyze(np.zeros(1600), 16000, WorldSettings(f0_method="dio"))
    with pytest.raises(ValueError, match="f0_method"):
        WorldSettings(f0_method="yin")
    with pytest.raises(ValueError, match="f0_floor"):
        WorldSettings(f0_floor=500, f0_ceil=100)
