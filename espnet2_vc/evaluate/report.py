"""Averages over a set and the files a paper can quote: ``results.json`` and ``results.md``.

Every metric is summarized per system (``converted``; ``source`` = the source recording scored like a
conversion, the no-conversion level; ``target`` = the target's own recordings) as the mean over utterances,
the sample standard deviation, the 95 % confidence interval of the mean (Student's t, ``mean ± t_{0.975,N-1}
· std / sqrt(N)``; for a metric that cannot be negative and is skewed, the real-time factor, a percentile
bootstrap of the mean, which stays within the values' range) and the number of utterances ``N`` that have
the value. WER and CER are also pooled
(errors summed over the set divided by reference words / characters summed over it).
"""

import dataclasses
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from espnet2_vc.evaluate.runner import SYSTEMS, UttResult


@dataclasses.dataclass(frozen=True)
class MetricInfo:
    """How a metric is shown: label, unit, decimals and which direction is better (``↓``, ``↑``, ``→0``), and
    its confidence interval (``t``: Student's t; ``bootstrap``: percentile bootstrap, for positive skewed values)."""

    key: str
    label: str
    unit: str
    digits: int
    better: str
    ci: str = "t"


METRIC_INFO: tuple[MetricInfo, ...] = (
    MetricInfo("mcd", "MCD", "dB", 2, "↓"),
    MetricInfo("f0_rmse", "F0 RMSE", "Hz", 1, "↓"),
    MetricInfo("f0_corr", "F0 correlation", "", 3, "↑"),
    MetricInfo("vuv_error", "V/UV error", "%", 1, "↓"),
    MetricInfo("log_dur_ratio", "log duration ratio", "", 3, "→0"),
    MetricInfo("abs_log_dur_ratio", "abs. log duration ratio", "", 3, "↓"),
    MetricInfo("spk_cos_tgt", "speaker cosine to target", "", 3, "↑"),
    MetricInfo("spk_cos_src", "speaker cosine to source", "", 3, "↓"),
    MetricInfo("spk_cos_other", "speaker cosine to the other targets (max)", "", 3, "↓"),
    MetricInfo("wer", "WER", "%", 1, "↓"),
    MetricInfo("cer", "CER", "%", 1, "↓"),
    MetricInfo("rtf", "real-time factor", "", 4, "↓", ci="bootstrap"),
)
SYSTEM_LABELS = {
    "converted": "converted",
    "analysis": "analysis-synthesis (target mels → vocoder)",
    "source": "source (no conversion)",
    "target": "target (recordings)",
}


BOOTSTRAP_RESAMPLES = 10000


def summarize(values: Iterable[float], ci: str = "t") -> dict[str, float]:
    """Mean, sample std, 95 % CI of the mean and count of the finite values.

    Args:
        values: Per-utterance values (NaN ignored).
        ci: ``t`` (Student's t interval) or ``bootstrap`` (2.5 / 97.5 percentiles of the means of
            :data:`BOOTSTRAP_RESAMPLES` resamples, fixed seed: never outside the values' range).

    Returns:
        ``{"mean", "std", "ci95_low", "ci95_high", "n"}``; NaN where undefined (std and CI need N >= 2).
    """
    from scipy import stats

    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n >= 2 else math.nan
    if ci not in ("t", "bootstrap"):
        raise ValueError(f"ci must be 't' or 'bootstrap': {ci}")
    if ci == "bootstrap" and n >= 2:
        means = x[np.random.default_rng(0).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
        low, high = (float(v) for v in np.percentile(means, [2.5, 97.5]))
        return {"mean": mean, "std": std, "ci95_low": low, "ci95_high": high, "n": n}
    half = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)) if n >= 2 else math.nan
    return {"mean": mean, "std": std, "ci95_low": mean - half, "ci95_high": mean + half, "n": n}


def pooled_error_rates(results: Sequence[UttResult]) -> dict[str, dict[str, dict[str, float]]]:
    """WER / CER pooled over the set, per system: ``{"wer": {system: {"value" (%), "errors", "ref"}}}``."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for key, errors, ref in (("wer", "word_errors", "ref_words"), ("cer", "char_errors", "ref_chars")):
        for system in SYSTEMS:
            counts = [r.counts[system] for r in results if system in r.counts]
            total_ref = sum(c[ref] for c in counts)
            if total_ref:
                total_err = sum(c[errors] for c in counts)
                out.setdefault(key, {})[system] = {
                    "value": 100.0 * total_err / total_ref,
                    "errors": total_err,
                    "ref": total_ref,
                    "n": len(counts),
                }
    return out


def _finite_or_none(obj: Any) -> Any:
    """Replace NaN / inf by ``None`` recursively (strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def by_direction(done: Sequence[UttResult], directions: dict[str, str]) -> dict[str, Any]:
    """Per conversion direction (``src -> tgt``): metric → system → ``{mean, n}``, and ``mean over directions``
    (each direction weighted once, whatever its number of utterances). Empty for a single direction."""
    groups: dict[str, list[UttResult]] = {}
    for r in done:
        groups.setdefault(directions.get(r.utt, "?"), []).append(r)
    if len(groups) < 2:
        return {}
    out: dict[str, Any] = {}
    for name, members in sorted(groups.items()):
        out[name] = {}
        for info in METRIC_INFO:
            for system in SYSTEMS:
                vals = [v for r in members if math.isfinite(v := r.values.get(system, {}).get(info.key, math.nan))]
                if vals:
                    out[name].setdefault(info.key, {})[system] = {"mean": float(np.mean(vals)), "n": len(vals)}
    mean: dict[str, Any] = {}
    for info in METRIC_INFO:
        for system in SYSTEMS:
            vals = [d[info.key][system]["mean"] for d in out.values() if system in d.get(info.key, {})]
            if vals:
                mean.setdefault(info.key, {})[system] = {"mean": float(np.mean(vals)), "n": len(vals)}
    out["mean over directions"] = mean
    return out


def build_results(
    results: Sequence[UttResult],
    skipped: dict[str, str],
    settings: dict[str, Any],
    inputs: dict[str, Any],
    directions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything ``results.json`` holds.

    Args:
        results: Evaluated utterances (``skip`` set for those skipped while evaluating).
        skipped: Utterances skipped before evaluating (id → reason).
        settings: Analysis settings (:func:`espnet2_vc.evaluate.runner.settings_summary`).
        inputs: The input files, as given.
        directions: Utterance id → ``"<src> -> <tgt>"`` (many-to-many sets: a summary per direction).

    Returns:
        ``settings``, ``inputs``, ``counts``, ``summary`` (metric → system → statistics), ``pooled``,
        ``by_direction`` (:func:`by_direction`), ``utterances`` (utt → system → metric → value, ``asr_hyp``,
        ``errors``), ``skipped``, ``errors`` and ``timing`` (mean CPU seconds per evaluated utterance, by step).
    """
    skipped = dict(skipped)
    skipped.update({r.utt: r.skip for r in results if r.skip is not None})
    done = [r for r in results if r.skip is None]
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for info in METRIC_INFO:
        for system in SYSTEMS:
            vals = [r.values[system].get(info.key, math.nan) for r in done if system in r.values]
            if any(math.isfinite(v) for v in vals):
                summary.setdefault(info.key, {})[system] = summarize(vals, info.ci)
    utterances = {}
    for r in done:
        entry: dict[str, Any] = {s: r.values[s] for s in SYSTEMS if s in r.values}
        if r.hyps:
            entry["asr_hyp"] = r.hyps
        if r.errors:
            entry["errors"] = r.errors
        utterances[r.utt] = entry
    steps = sorted({step for r in done for step in r.seconds})
    timing = {step: float(np.mean([r.seconds.get(step, 0.0) for r in done])) for step in steps}
    timing["total"] = float(sum(timing.values()))
    return _finite_or_none(
        {
            "settings": settings,
            "inputs": inputs,
            "counts": {"listed": len(done) + len(skipped), "evaluated": len(done), "skipped": len(skipped)},
            "summary": summary,
            "pooled": pooled_error_rates(done),
            "by_direction": by_direction(done, directions or {}),
            "units": {i.key: i.unit for i in METRIC_INFO},
            "utterances": utterances,
            "skipped": dict(sorted(skipped.items())),
            "errors": [f"{r.utt}: {e}" for r in done for e in r.errors],
            "timing": {"seconds_per_utterance": timing},
        }
    )


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    """Table rows ``[metric, system, mean ± std, 95% CI, N]`` (shared by results.md and index.html)."""
    rows = []
    for info in METRIC_INFO:
        unit = f" [{info.unit}]" if info.unit else ""
        for system, s in results["summary"].get(info.key, {}).items():
            d = info.digits
            ci = "–" if s["std"] is None else f"[{_fmt(s['ci95_low'], d)}, {_fmt(s['ci95_high'], d)}]"
            spread = "" if s["std"] is None else f" ± {_fmt(s['std'], d)}"
            rows.append([f"{info.label}{unit} {info.better}", SYSTEM_LABELS[system], _fmt(s["mean"], d) + spread, ci,
                         str(s["n"])])  # fmt: skip
        for system, p in results["pooled"].get(info.key, {}).items():
            ref = "words" if info.key == "wer" else "chars"
            rows.append([f"{info.label}{unit} pooled", SYSTEM_LABELS[system], _fmt(p["value"], info.digits), "–",
                         f"{p['n']} ({int(p['ref'])} {ref})"])  # fmt: skip
    return rows


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def utterance_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per-utterance table of the converted system: header and rows."""
    keys = [i for i in METRIC_INFO if i.key in results["summary"] and "converted" in results["summary"][i.key]]
    header = ["utt"] + [f"{i.label}" + (f" [{i.unit}]" if i.unit else "") for i in keys]
    rows = []
    for utt, entry in results["utterances"].items():
        conv = entry.get("converted", {})
        rows.append([utt] + [_fmt(conv.get(i.key), i.digits) for i in keys])
    return header, rows


DIRECTION_METRICS = ("mcd", "f0_rmse", "f0_corr", "spk_cos_tgt", "spk_cos_other", "wer")


def direction_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per-direction table: converted, with no conversion in brackets, for the main metrics."""
    table = results.get("by_direction") or {}
    infos = [i for i in METRIC_INFO if i.key in DIRECTION_METRICS and any(i.key in d for d in table.values())]
    header = ["direction", "N"] + [f"{i.label}" + (f" [{i.unit}]" if i.unit else "") + f" {i.better}" for i in infos]
    rows = []
    for name, d in table.items():
        n = max((v.get("converted", {}).get("n", 0) for v in d.values()), default=0)
        cells = []
        for i in infos:
            conv, src = d.get(i.key, {}).get("converted"), d.get(i.key, {}).get("source")
            cell = _fmt(conv and conv["mean"], i.digits)
            cells.append(cell + (f" ({_fmt(src['mean'], i.digits)})" if src else ""))
        rows.append([f"**{name}**" if name == "mean over directions" else name, str(n)] + cells)
    return header, rows


def markdown(results: dict[str, Any]) -> str:
    """The text of ``results.md``."""
    c = results["counts"]
    w = results["settings"].get("world", {})
    out = [
        "# Evaluation results",
        "",
        f"{c['evaluated']} of {c['listed']} utterances evaluated, {c['skipped']} skipped (listed below).",
        "",
        _md_table(["metric", "system", "mean ± std", "95% CI", "N"], summary_rows(results)),
        "",
        "Systems: *converted* vs the target recording; *source (no conversion)*: the source recording scored "
        "the same way; *analysis-synthesis*: the target's own mels through the same vocoder (the vocoder's share "
        "of the error); *target (recordings)*: the target's own recordings (speaker cosine leave-one-out).",
        "",
    ]
    if w:
        fs_used = ", ".join(f"{fs} Hz (order {p['order']}, alpha {p['alpha']})" for fs, p in w["mcep_by_fs"].items())
        out += [
            f"WORLD analysis: {w['f0_method']} F0 {w['f0_floor']:g}–{w['f0_ceil']:g} Hz, "
            f"{w['frame_period_ms']:g} ms frames, silence below {w['silence_db']:g} dB re. mean power dropped; "
            f"mel-cepstrum at {fs_used or '–'}, c0 excluded; DTW on mel-cepstra of speech frames.",
            "",
        ]
    timing = results["timing"]["seconds_per_utterance"]
    if timing:
        out += ["CPU seconds per utterance: " + ", ".join(f"{k} {v:.2f}" for k, v in timing.items()), ""]
    header, rows = direction_rows(results)
    if rows:
        out += ["## Per direction (converted; no conversion in brackets; N = utterances, or directions for the "
                "mean)", "", _md_table(header, rows), ""]  # fmt: skip
    header, rows = utterance_rows(results)
    if rows:
        out += ["## Per utterance (converted)", "", _md_table(header, rows), ""]
    if results["skipped"]:
        out += ["## Skipped utterances", ""] + [f"- `{u}`: {why}" for u, why in results["skipped"].items()] + [""]
    if results["errors"]:
        out += ["## Values not computed", ""] + [f"- {e}" for e in results["errors"]] + [""]
    return "\n".join(out)


def write_results(results: dict[str, Any], output_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md`` under ``output_dir``; return their paths."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output_dir / "results.json", output_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path
