import numpy as np
import pytest

from espnet2_vc.durations.dtw import (
    align_features,
    align_waveforms,
    check_durations,
    distance_matrix,
    dtw_path,
    path_to_durations,
)
from espnet2_vc.durations.features import alignment_features, reduce_frames, reduced_lengths

FS, N_FFT, HOP = 16000, 512, 128


def speechlike(seconds: float, stretch: float = 1.0, f0_scale: float = 1.0, formant_scale: float = 1.0) -> np.ndarray:
    """Harmonic signal with a gliding f0 and a sequence of 'vowels' and a pause; ``stretch`` slows it down.

    The parameter tracks are functions of normalised time, so a stretched copy says the same thing slower.
    """
    n = round(seconds * stretch * FS)
    u = np.arange(n) / n  # normalised time (n,)
    rng = np.random.default_rng(0)
    n_seg = max(2, int(seconds * 8))
    knots = np.linspace(0.0, 1.0, n_seg + 1)
    f1 = np.interp(u, knots, rng.uniform(300, 900, n_seg + 1)) * formant_scale
    f2 = np.interp(u, knots, rng.uniform(900, 2600, n_seg + 1)) * formant_scale
    f0 = (110 + 40 * np.sin(2 * np.pi * 1.7 * u * seconds)) * f0_scale
    phase = 2 * np.pi * np.cumsum(f0) / FS
    wav = np.zeros(n)
    for k in range(1, int(4000 / f0.min())):
        fk = k * f0
        amp = np.exp(-(((fk - f1) / 120) ** 2)) + 0.6 * np.exp(-(((fk - f2) / 180) ** 2)) + 0.02
        wav += amp * np.sin(k * phase) * (fk < FS / 2)
    env = np.where((u > 0.45) & (u < 0.52), 0.0, 1.0)  # a pause in the middle
    return (0.1 * wav * env).astype(np.float32)


@pytest.mark.parametrize("diag_weight", [1.0, 2.0])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (5, 9), (9, 5), (30, 31)])
def test_dtw_path_monotonic(shape, diag_weight):
    dist = np.random.default_rng(1).random(shape)
    path = dtw_path(dist, diag_weight)
    assert tuple(path[0]) == (0, 0)
    assert tuple(path[-1]) == (shape[0] - 1, shape[1] - 1)
    steps = {tuple(s) for s in np.diff(path, axis=0)}
    assert steps <= {(0, 1), (1, 0), (1, 1)}


@pytest.mark.parametrize("diag_weight", [1.0, 2.0])
def test_dtw_path_prefers_diagonal_on_ties(diag_weight):
    path = dtw_path(np.zeros((4, 4)), diag_weight)
    np.testing.assert_array_equal(path, np.stack([np.arange(4)] * 2, 1))


def test_symmetric1_takes_the_cheap_diagonal():
    # On a constant matrix symmetric1 pays per cell, so it takes as many diagonal steps as it can.
    assert len(dtw_path(np.ones((3, 5)))) == 5
    # A cheap detour through row 0 wins under symmetric2 (a diagonal costs two cells) but not under symmetric1.
    dist = np.ones((3, 3))
    dist[0, 1], dist[1, 1] = 0.1, 0.5
    assert len(dtw_path(dist, 1.0)) == 3
    assert len(dtw_path(dist, 2.0)) > 3


def test_path_to_durations_picks_closest_source_frame():
    # Column 1 is matched by rows 0..2; row 2 is closest, so rows 0 and 1 get nothing more there.
    path = np.array([[0, 0], [1, 1], [2, 1], [3, 2]])
    dist = np.ones((4, 3))
    dist[2, 1] = 0.1
    np.testing.assert_array_equal(path_to_durations(path, dist), [1, 0, 1, 1])
    dist[:] = 1.0  # tie: the lowest row wins
    np.testing.assert_array_equal(path_to_durations(path, dist), [1, 1, 0, 1])


@pytest.mark.parametrize("r", [1, 2, 3, 4])
@pytest.mark.parametrize("n_src,n_tgt", [(4, 4), (4, 1), (5, 17), (17, 5), (23, 40), (40, 23), (63, 64)])
def test_durations_sum_exactly(n_src, n_tgt, r):
    rng = np.random.default_rng(n_src * 100 + n_tgt)
    src, tgt = rng.normal(size=(n_src, 3)), rng.normal(size=(n_tgt, 3))
    ns, nt = reduced_lengths(n_src, n_tgt, r)
    assert (ns, nt) == (n_src // r, -(-n_tgt // r))
    durations = align_features(src, tgt, r)
    assert durations.dtype == np.int64 and len(durations) == ns
    assert durations.min() >= 0 and durations.sum() == nt


def test_align_features_rejects_source_shorter_than_r():
    with pytest.raises(ValueError, match="fewer than the reduction factor"):
        align_features(np.zeros((1, 3)), np.zeros((5, 3)), 2)


@pytest.mark.parametrize("n_samples", [0, 1, HOP - 1, HOP, HOP + 1, 3 * HOP + 5, FS // 4])
def test_feature_frames_follow_contract(n_samples):
    wav = np.random.default_rng(0).normal(size=n_samples).astype(np.float32)
    feats = alignment_features(wav, FS, N_FFT, HOP)
    assert feats.shape == (1 + n_samples // HOP, 20)
    assert np.isfinite(feats).all()


def test_features_reject_odd_fft_and_stereo():
    with pytest.raises(ValueError, match="must be even"):
        alignment_features(np.zeros(1024, np.float32), FS, 511, HOP)
    with pytest.raises(ValueError, match="mono"):
        alignment_features(np.zeros((1000, 2), np.float32), FS, N_FFT, HOP)


def test_reduce_frames():
    x = np.arange(10, dtype=float)[:, None]
    np.testing.assert_allclose(reduce_frames(x, 3, pad=False)[:, 0], [1, 4, 7])
    np.testing.assert_allclose(reduce_frames(x, 3, pad=True)[:, 0], [1, 4, 7, 9])
    np.testing.assert_allclose(reduce_frames(x, 1, pad=True), x)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_identity_alignment_is_all_ones(r):
    wav = speechlike(1.0)  # 16000 samples -> 126 frames, divisible by 1, 2 and 3
    durations, ns, nt = align_waveforms(wav, wav, FS, N_FFT, HOP, r)
    assert ns == nt == 126 // r
    np.testing.assert_array_equal(durations, np.ones(ns, dtype=np.int64))


@pytest.mark.parametrize("stretch,r", [(2.0, 1), (1.5, 1), (2.0, 2), (0.6, 1), (0.6, 2)])
@pytest.mark.parametrize("voice,max_drift,mean_drift", [("same", 2.0, 0.5), ("other", 5.0, 1.5)])
def test_time_stretched_copy_follows_the_stretch(stretch, r, voice, max_drift, mean_drift):
    src = speechlike(1.5)
    scales = {"f0_scale": 1.3, "formant_scale": 1.1} if voice == "other" else {}
    tgt = speechlike(1.5, stretch=stretch, **scales)
    durations, ns, nt = align_waveforms(src, tgt, FS, N_FFT, HOP, r)
    assert durations.sum() == nt
    assert durations.mean() == pytest.approx(stretch, rel=0.05)
    # The target frame reached after each source frame stays near the straight line (in target frames),
    # except inside the pause, where every frame is the same silence and any split is as good.
    ratio = nt / ns
    drift = np.abs(np.cumsum(durations) - ratio * np.arange(1, ns + 1))
    u = (np.arange(ns) + 0.5) / ns
    drift = drift[(u < 0.43) | (u > 0.54)]
    assert drift.max() <= max_drift * max(1.0, ratio)
    assert drift.mean() <= mean_drift * max(1.0, ratio)


def test_distance_matrix_matches_direct():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    direct = np.linalg.norm(a[:, None] - b[None], axis=-1)
    np.testing.assert_allclose(distance_matrix(a, b), direct, atol=1e-9)


@pytest.mark.parametrize(
    "durations,match",
    [
        ([1, 2], "2 durations for 3"),
        ([1, 2, 0], "sum to 3, expected 4"),
        ([3, 2, -1], "negative duration"),
        ([1.0, 2.0, 1.0], "must be integers"),
    ],
)
def test_check_durations_names_the_utterance(durations, match):
    with pytest.raises(ValueError, match=f"utt_7: .*{match}"):
        check_durations("utt_7", np.array(durations), 3, 4)
    check_durations("ok", np.array([1, 2, 1]), 3, 4)
