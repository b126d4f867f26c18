"""Evaluate a decoded set end to end: read the inputs, run the metrics, write the report and the page.

``evaluate_set`` is what ``python -m espnet2_vc.bin.vc_evaluate`` runs. It pairs the converted ``wav.scp``
with the target (and source) scp by utterance id, logs and records every utterance it cannot evaluate,
turns speaker embeddings into cosines once all are known, adds the real-time factor from the decoder's
``rtf`` file(s) and writes ``results.json``, ``results.md`` and ``index.html`` under ``output_dir``.
"""

import dataclasses
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from espnet2_vc.evaluate.page import write_page
from espnet2_vc.evaluate.report import build_results, write_results
from espnet2_vc.evaluate.runner import EvalSettings, UttJob, UttResult, evaluate_all, settings_summary
from espnet2_vc.utils.kaldi import read_kaldi, read_scp

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SetInputs:
    """Input files of one evaluated set (``None`` where not given).

    Attributes:
        converted_scp: ``<decode_dir>/<set>/wav.scp``.
        target_scp: ``dump/raw/<set>/tgt_wav.scp``.
        source_scp: ``dump/raw/<set>/wav.scp``.
        text: ``dump/raw/<set>/text`` (ASR only).
        rtf: ``rtf`` files of the decoding (``<utt> <seconds of compute per second of input>``).
        utt2tgt_spk: Target speaker per utterance; default ``utt2tgt_spk`` beside ``target_scp`` if present.
        utt2spk: Source speaker per utterance; default ``utt2spk`` beside ``source_scp`` if present.
        analysis_scp: The target's recordings through the same vocoder (analysis-synthesis).
    """

    converted_scp: str
    target_scp: str
    source_scp: str | None = None
    text: str | None = None
    rtf: tuple[str, ...] = ()
    utt2tgt_spk: str | None = None
    utt2spk: str | None = None
    analysis_scp: str | None = None


def _speaker_map(explicit: str | None, beside: str | None, name: str, default: str) -> tuple[dict[str, str], str]:
    """Read an utt → speaker map (explicit path, else ``name`` beside ``beside``); empty means one speaker."""
    path = explicit
    if path is None and beside is not None and (Path(beside).parent / name).is_file():
        path = str(Path(beside).parent / name)
    if path is None:
        return {}, f"no {name}: every utterance is taken as one speaker '{default}'"
    return read_kaldi(path), path


def _add_speaker_cosines(
    results: Sequence[UttResult], utt2tgt: dict[str, str], utt2src: dict[str, str], jobs: Sequence[UttJob]
) -> None:
    """Turn the utterances' embeddings into ``spk_cos_tgt`` / ``spk_cos_src`` / ``spk_cos_other`` values
    (embeddings dropped); references hold each recording (path) once."""
    from espnet2_vc.evaluate.speaker import speaker_similarities

    embeddings: dict[str, dict[str, Any]] = {}
    for r in results:
        for system, emb in r.embeddings.items():
            embeddings.setdefault(system, {})[r.utt] = emb
    sims = speaker_similarities(
        embeddings, utt2tgt, utt2src, {j.utt: j.target for j in jobs}, {j.utt: j.source for j in jobs if j.source}
    )
    for r in results:
        for system in r.embeddings:
            for key, value in sims[system][r.utt].items():
                if math.isnan(value):
                    r.errors.append(f"speaker {system}: no reference recording left for {key}")
                else:
                    r.put(system, key, value)
        r.embeddings = {}


def _add_rtf(results: Sequence[UttResult], rtf_files: Sequence[str]) -> None:
    """Add the converted system's ``rtf`` value of every utterance from the decoder's files."""
    rtf: dict[str, str] = {}
    for path in rtf_files:
        rtf.update(read_kaldi(path))
    for r in results:
        try:
            r.put("converted", "rtf", float(rtf[r.utt]))
        except (KeyError, ValueError):
            r.errors.append(f"rtf converted: no number for this utterance in {', '.join(rtf_files)}")


def make_jobs(inputs: SetInputs) -> tuple[list[UttJob], dict[str, str]]:
    """Pair the scp files by utterance id.

    Returns:
        Jobs sorted by utt id, and utt id → reason for ids that cannot be evaluated.
    """
    converted, target = read_scp(inputs.converted_scp), read_scp(inputs.target_scp)
    source = read_scp(inputs.source_scp) if inputs.source_scp else {}
    analysis = read_scp(inputs.analysis_scp) if inputs.analysis_scp else {}
    texts = read_kaldi(inputs.text) if inputs.text else {}
    skipped = {u: f"not_converted: in {inputs.target_scp} but not in {inputs.converted_scp}"
               for u in target.keys() - converted.keys()}  # fmt: skip
    skipped.update({u: f"no_target: not in {inputs.target_scp}" for u in converted.keys() - target.keys()})
    jobs = [
        UttJob(utt, converted[utt], target[utt], source.get(utt), texts.get(utt), analysis.get(utt))
        for utt in sorted(converted.keys() & target.keys())
    ]
    for scp, field in ((inputs.source_scp, "source"), (inputs.analysis_scp, "analysis")):
        missing = [j.utt for j in jobs if scp and getattr(j, field) is None]
        if missing:
            logger.warning(f"{len(missing)} utterance(s) not in {scp}: no {field} reference for them")
    return jobs, skipped


def evaluate_set(
    inputs: SetInputs,
    output_dir: str | Path,
    settings: EvalSettings,
    nj: int = 1,
    max_samples_on_page: int = 20,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate a set and write ``results.json``, ``results.md`` and ``index.html``.

    Args:
        inputs: The input files.
        output_dir: Output folder (created).
        settings: Metrics and analysis settings (``asr`` needs ``inputs.text``, else it is left out).
        nj: Worker processes.
        max_samples_on_page: Utterances (the first by id) shown on the samples page.
        progress: Show a progress bar.

    Returns:
        The ``results.json`` content.

    Raises:
        RuntimeError: No utterance could be evaluated.
    """
    if "asr" in settings.metrics and not inputs.text:
        logger.warning("asr left out: no --text given")
        settings = dataclasses.replace(settings, metrics=tuple(m for m in settings.metrics if m != "asr"))
    jobs, skipped = make_jobs(inputs)
    for utt, why in sorted(skipped.items()):
        logger.warning(f"{utt} skipped: {why}")
    logger.info(f"evaluating {len(jobs)} utterance(s), metrics {','.join(settings.metrics)}, {nj} job(s)")
    results = evaluate_all(jobs, settings, nj=nj, progress=progress)
    for r in results:
        if r.skip is not None:
            logger.warning(f"{r.utt} skipped: {r.skip}")
    done = [r for r in results if r.skip is None]
    if not done:
        raise RuntimeError(f"no utterance could be evaluated ({len(skipped) + len(results)} listed); see the log")
    tgt_map, tgt_from = _speaker_map(inputs.utt2tgt_spk, inputs.target_scp, "utt2tgt_spk", "target")
    src_map, src_from = _speaker_map(inputs.utt2spk, inputs.source_scp, "utt2spk", "source")
    utt2tgt = {r.utt: tgt_map.get(r.utt, "target") for r in done}
    utt2src = {r.utt: src_map.get(r.utt, "source") for r in done}
    if "speaker" in settings.metrics:
        logger.info(f"speaker groups: target from {tgt_from}; source from {src_from}")
        _add_speaker_cosines(done, utt2tgt, utt2src, jobs)
    if inputs.rtf:
        _add_rtf(done, inputs.rtf)
    report = build_results(
        results,
        skipped,
        settings_summary(settings, [r.eval_fs for r in done]),
        {k: v for k, v in dataclasses.asdict(inputs).items() if v},
        {u: f"{utt2src[u]} -> {tgt}" for u, tgt in utt2tgt.items()},
    )
    json_path, md_path = write_results(report, output_dir)
    by_utt = {j.utt: j for j in jobs}
    samples = [
        (r.utt, {"source": by_utt[r.utt].source, "converted": by_utt[r.utt].converted,
                 "analysis": by_utt[r.utt].analysis, "target": by_utt[r.utt].target}, by_utt[r.utt].text)
        for r in done[: max(0, max_samples_on_page)]
    ]  # fmt: skip
    page = write_page(output_dir, report, samples)
    logger.info(f"wrote {json_path}, {md_path} and {page}")
    return report
