import json
import math

import pytest

from espnet2_vc.evaluate.report import (
    METRIC_INFO,
    build_results,
    markdown,
    pooled_error_rates,
    summarize,
    write_results,
)
from espnet2_vc.evaluate.runner import UttResult


def make_results() -> list[UttResult]:
    """Three evaluated utterances with known values, one skipped while evaluating."""
    out = []
    for i, (mcd, wer_errors) in enumerate([(5.0, 1), (6.0, 0), (7.0, 3)]):
        r = UttResult(f"utt{i}", seconds={"world": 1.0, "asr": 0.5})
        r.put("converted", "mcd", mcd)
        r.put("source", "mcd", 9.0)
        r.put("converted", "wer", 100.0 * wer_errors / 4)
        r.counts["converted"] = {"word_errors": wer_errors, "ref_words": 4, "char_errors": 2, "ref_chars": 20}
        out.append(r)
    out[2].put("converted", "f0_corr", math.nan)  # not finite: left out of N, written as null
    out[1].errors.append("f0 converted: no path frame is voiced on both sides")
    out.append(UttResult("utt9", skip="unreadable: converted audio x.wav: LibsndfileError: System error"))
    return out


def test_summarize():
    s = summarize([1.0, 2.0, 3.0, math.nan])
    assert s["n"] == 3 and s["mean"] == 2.0 and s["std"] == pytest.approx(1.0)
    half = 4.302652729911275 / math.sqrt(3)  # t_{0.975, 2}
    assert (s["ci95_low"], s["ci95_high"]) == pytest.approx((2.0 - half, 2.0 + half))
    one = summarize([4.0])
    assert one["mean"] == 4.0 and math.isnan(one["std"]) and one["n"] == 1
    assert summarize([])["n"] == 0


def test_rtf_ci_stays_within_the_values():
    """A cold first utterance (RTF 2.0 among 0.05s) sends the t interval below 0; the bootstrap one cannot."""
    rtf = [2.0] + [0.05] * 19
    assert summarize(rtf)["ci95_low"] < 0
    s = summarize(rtf, "bootstrap")
    assert s["mean"] == pytest.approx(summarize(rtf)["mean"]) and 0.05 <= s["ci95_low"] < s["mean"] < s["ci95_high"]
    assert s == summarize(rtf, "bootstrap")  # seeded: the same file twice
    assert {m.key: m.ci for m in METRIC_INFO}["rtf"] == "bootstrap"


def test_pooled_error_rates():
    pooled = pooled_error_rates(make_results()[:3])
    assert pooled["wer"]["converted"] == {"value": 100.0 * 4 / 12, "errors": 4, "ref": 12, "n": 3}
    assert pooled["cer"]["converted"]["value"] == pytest.approx(10.0)


def test_results_files(tmp_path):
    results = build_results(make_results(), {"utt8": "not_converted: …"}, {"metrics": ["mcd"]}, {"x": "y"})
    json_path, md_path = write_results(results, tmp_path)
    loaded = json.loads(json_path.read_text())
    assert loaded == results
    assert loaded["counts"] == {"listed": 5, "evaluated": 3, "skipped": 2}
    assert loaded["summary"]["mcd"]["converted"]["mean"] == pytest.approx(6.0)
    assert loaded["summary"]["mcd"]["source"]["std"] == 0.0
    assert "f0_corr" not in loaded["summary"]
    assert loaded["utterances"]["utt2"]["converted"]["f0_corr"] is None
    assert set(loaded["skipped"]) == {"utt8", "utt9"}
    assert loaded["errors"] == ["utt1: f0 converted: no path frame is voiced on both sides"]
    assert loaded["timing"]["seconds_per_utterance"] == {"asr": 0.5, "world": 1.0, "total": 1.5}
    md = md_path.read_text()
    assert md == markdown(results)
    assert "| MCD [dB] ↓ | converted | 6.00 ± 1.00 | [3.52, 8.48] | 3 |" in md
    assert "| MCD [dB] ↓ | source (no conversion) | 9.00 ± 0.00 | [9.00, 9.00] | 3 |" in md
    assert "| WER [%] pooled | converted | 33.3 | – | 3 (12 words) |" in md
    assert "`utt9`: unreadable: converted audio x.wav" in md


def test_a_many_to_many_set_gets_one_row_per_direction_and_their_mean():
    """Each direction is averaged over its own utterances; the mean weighs every direction once."""
    out = []
    for utt, direction, mcd in [("a1", "a -> b", 5.0), ("a2", "a -> b", 7.0), ("b1", "b -> a", 4.0)]:
        r = UttResult(utt)
        r.put("converted", "mcd", mcd)
        r.put("source", "mcd", 9.0)
        out.append((r, direction))
    results = build_results([r for r, _ in out], {}, {}, {}, {r.utt: d for r, d in out})
    table = results["by_direction"]
    assert table["a -> b"]["mcd"]["converted"] == {"mean": 6.0, "n": 2}
    assert table["b -> a"]["mcd"]["converted"] == {"mean": 4.0, "n": 1}
    assert table["mean over directions"]["mcd"]["converted"] == {"mean": 5.0, "n": 2}  # not 16/3
    md = markdown(results)
    assert "| a -> b | 2 | 6.00 (9.00) |" in md and "| **mean over directions** | 2 | 5.00 (9.00) |" in md
    one = build_results([r for r, _ in out], {}, {}, {}, {r.utt: "a -> b" for r, _ in out})
    assert one["by_direction"] == {} and "Per direction" not in markdown(one)
