"""Duration summaries and alignment plots (``espnet2_vc.durations.report``, ``bin/duration_report``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from espnet2_vc.bin.duration_report import main
from espnet2_vc.durations.report import duration_stats, zero_runs


@pytest.mark.parametrize(
    "d, runs", [([1, 0, 0, 2, 0], [2, 1]), ([0, 0, 0], [3]), ([1, 2, 3], []), ([0, 1, 0, 1, 0, 0, 0], [1, 1, 3])]
)
def test_zero_runs(d, runs):
    assert zero_runs(np.array(d)).tolist() == runs


def test_duration_stats_counts_zeros_and_long_spans():
    stats = duration_stats({"a": np.array([1, 0, 0, 5, 2]), "b": np.array([0, 8, 1])}, long=4)
    assert stats["utterances"] == 2 and stats["source_frames"] == 8
    assert stats["zero_fraction"] == pytest.approx(3 / 8)
    assert stats["long_fraction"] == pytest.approx(2 / 8)
    assert stats["target_in_long"] == pytest.approx(13 / 17)
    assert stats["max_duration"] == 8 and stats["max_zero_run"] == 2
    assert stats["mean_longest_zero_run"] == pytest.approx(1.5)
    with pytest.raises(ValueError, match="no durations"):
        duration_stats({})


def test_cli_writes_stats_and_plots(tmp_path: Path):
    rng = np.random.default_rng(0)
    feats = tmp_path / "collect_feats"
    (feats / "data").mkdir(parents=True)
    for side, frames in (("src", 12), ("tgt", 9)):
        path = feats / "data" / f"{side}.npy"
        np.save(path, rng.standard_normal((frames, 20)).astype(np.float32))
        (feats / f"{side}_feats.scp").write_text(f"u1 {path}\n")
    (tmp_path / "durations").write_text("u1 1 0 2 1 0 1\n")  # 12 // 2 values summing to ceil(9 / 2)
    (tmp_path / "vc.yaml").write_text("tts: nars2s\ntts_conf:\n  reduction_factor: 2\n")
    out = tmp_path / "report"
    main(["--durations", str(tmp_path / "durations"), "--output_dir", str(out), "--feats_dir", str(feats),
          "--vc_config", str(tmp_path / "vc.yaml")])  # fmt: skip
    assert json.loads((out / "stats.json").read_text())["zero_fraction"] == pytest.approx(2 / 6)
    assert (out / "u1.png").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "empty").write_text("")
    with pytest.raises(SystemExit, match="no durations"):
        main(["--durations", str(tmp_path / "empty"), "--output_dir", str(out)])
