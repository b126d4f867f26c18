"""Evaluate one utterance, or a whole decoded set over worker processes.

Up to four recordings take part per utterance id: the ``converted`` output, the ``target`` speaker's recording
of the same sentence and, when given, the ``source`` recording that was converted and the ``analysis`` one
(the target's own mels through the same vocoder). The converted one is scored against the target; the source
and analysis ones too, as the no-conversion and vocoder-only reference levels, and the target one
where a metric does not need it as its own reference (speaker similarity, ASR). An utterance whose converted
or target audio is missing or unreadable is skipped with its reason; a metric that cannot be computed for an
utterance (no speech frame, no transcript, …) is recorded in its ``errors``. Nothing is dropped silently.
"""

import dataclasses
import functools
import logging
import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from espnet2_vc.evaluate.duration import log_duration_ratio
from espnet2_vc.evaluate.f0 import f0_metrics
from espnet2_vc.evaluate.mcd import MetricError, align
from espnet2_vc.evaluate.world import WorldFeatures, WorldSettings, analyze, mcep_params
from espnet2_vc.utils.audio import load_audio, resample

logger = logging.getLogger(__name__)

METRICS = ("mcd", "f0", "duration", "speaker", "asr")
SYSTEMS = ("converted", "analysis", "source", "target")
# Systems scored against the target recording; a missing or unreadable one is an error, not a skip.
_SCORED = ("converted", "analysis", "source")
_WORLD_METRICS = {"mcd", "f0", "duration"}


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    """What to compute and how.

    Attributes:
        metrics: Metric families, a subset of :data:`METRICS`.
        world: WORLD analysis settings (MCD, F0, duration).
        eval_fs: Rate for the WORLD metrics; ``None``: the lower of the converted and target rates.
    """

    metrics: tuple[str, ...] = METRICS
    world: WorldSettings = dataclasses.field(default_factory=WorldSettings)
    eval_fs: int | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.metrics) - set(METRICS))
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; choose from {list(METRICS)}")


@dataclasses.dataclass(frozen=True)
class UttJob:
    """Inputs of one utterance: audio paths per system and the transcript (``None`` when absent)."""

    utt: str
    converted: str
    target: str
    source: str | None = None
    text: str | None = None
    analysis: str | None = None


@dataclasses.dataclass
class UttResult:
    """Outputs of one utterance.

    Attributes:
        utt: Utterance id.
        values: System → metric → value (percentages for ``vuv_error``, ``wer``, ``cer``).
        embeddings: System → speaker embedding (E,) (turned into cosines once every utterance is done).
        hyps: System → ASR hypothesis.
        counts: System → ``word_errors``/``ref_words``/``char_errors``/``ref_chars`` for pooled WER / CER.
        errors: ``"<metric> <system>: <reason>"`` for every value that could not be computed.
        seconds: CPU seconds of this process by step (``load``, ``world``, ``speaker``, ``asr``).
        eval_fs: Rate the WORLD metrics ran at (0 when they did not run).
        skip: Reason the whole utterance was skipped, else ``None``.
    """

    utt: str
    values: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    embeddings: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    hyps: dict[str, str] = dataclasses.field(default_factory=dict)
    counts: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    eval_fs: int = 0
    skip: str | None = None

    def put(self, system: str, metric: str, value: float) -> None:
        """Store one value (``float``)."""
        self.values.setdefault(system, {})[metric] = float(value)


# Models are loaded once per process, on first use.
_MODELS: dict[str, Any] = {}


def _model(name: str) -> Any:
    """The ``speaker`` encoder or the ``asr`` recognizer of this process (loaded on first use)."""
    if name not in _MODELS:
        if name == "speaker":
            from espnet2_vc.evaluate.speaker import SpeakerEncoder

            _MODELS[name] = SpeakerEncoder()
        else:
            from espnet2_vc.evaluate.asr import Recognizer

            _MODELS[name] = Recognizer()
    return _MODELS[name]


# Results per (waveform object, step) of the utterance being evaluated: a file listed for two systems (e.g.
# the source given as the "converted" input of a no-conversion baseline) is loaded once and analysed once.
_ONCE: dict[tuple[int, str], Any] = {}


def _once(wav: np.ndarray, step: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, computed once per waveform object and step within the current utterance."""
    key = (id(wav), step)
    if key not in _ONCE:
        _ONCE[key] = fn()
    return _ONCE[key]


def _timed(res: UttResult, step: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, adding the CPU seconds it took to ``res.seconds[step]``."""
    start = time.process_time()
    try:
        return fn()
    finally:
        res.seconds[step] = res.seconds.get(step, 0.0) + time.process_time() - start


def _world_metrics(res: UttResult, audio: dict[str, tuple[np.ndarray, int]], settings: EvalSettings) -> None:
    """MCD, F0 and duration of converted and source against target (each path analysed once)."""
    fs = settings.eval_fs or min(audio["converted"][1], audio["target"][1])
    res.eval_fs = fs
    feats: dict[str, WorldFeatures] = {}
    for system, (wav, rate) in audio.items():
        try:
            feats[system] = _once(wav, "world", lambda w=wav, r=rate: analyze(resample(w, r, fs), fs, settings.world))
        except ValueError as e:
            res.errors.append(f"world {system}: {e}")
    silence = settings.world.silence_db
    for system in _SCORED:
        if system not in feats or "target" not in feats:
            continue
        if "duration" in settings.metrics:
            ratio = log_duration_ratio(feats[system], feats["target"], silence)
            if math.isnan(ratio):
                res.errors.append(f"duration {system}: no speech frame on a side")
            else:
                res.put(system, "log_dur_ratio", ratio)
                res.put(system, "abs_log_dur_ratio", abs(ratio))
        if not {"mcd", "f0"} & set(settings.metrics):
            continue
        try:
            alignment = align(feats[system], feats["target"], silence)
        except MetricError as e:
            res.errors.append(f"mcd/f0 {system}: {e}")
            continue
        if "mcd" in settings.metrics:
            res.put(system, "mcd", alignment.mcd)
        if "f0" in settings.metrics:
            f0 = f0_metrics(feats[system].f0, feats["target"].f0, alignment.path)
            res.put(system, "vuv_error", 100.0 * f0.vuv_error)
            if f0.n_voiced:
                res.put(system, "f0_rmse", f0.rmse_hz)
            else:
                res.errors.append(f"f0 {system}: no path frame is voiced on both sides")
            if not math.isnan(f0.corr):
                res.put(system, "f0_corr", f0.corr)


def _asr_metrics(res: UttResult, audio: dict[str, tuple[np.ndarray, int]], text: str | None) -> None:
    """WER / CER of every loaded recording against the transcript."""
    from espnet2_vc.evaluate.asr import error_counts

    if text is None:
        res.errors.append("asr: no transcript for this utterance in --text")
        return
    for system, (wav, rate) in audio.items():
        hyp = _once(wav, "asr", lambda w=wav, r=rate: _model("asr").transcribe(w, r))
        res.hyps[system] = hyp
        try:
            counts = error_counts(text, hyp)
        except ValueError as e:
            res.errors.append(f"asr {system}: {e}")
            return
        res.put(system, "wer", 100.0 * counts.pop("wer"))
        res.put(system, "cer", 100.0 * counts.pop("cer"))
        res.counts[system] = counts


def evaluate_utterance(job: UttJob, settings: EvalSettings) -> UttResult:
    """Every requested metric of one utterance (see the module docstring).

    Args:
        job: Paths and transcript.
        settings: Metrics and analysis settings.

    Returns:
        The result; ``skip`` is set when the converted or target audio cannot be read or an unexpected error
        occurs (its traceback is logged).
    """
    res = UttResult(job.utt)
    try:
        _evaluate_into(res, job, settings)
    except Exception as e:  # one broken utterance must not stop a long run: logged, reported as skipped
        logger.exception(f"{job.utt}: evaluation failed")
        res.skip = f"error: {type(e).__name__}: {e}"
    finally:
        _ONCE.clear()
    return res


def _load_float64(path: str) -> tuple[np.ndarray, int]:
    """The shared reader's waveform as float64 (what WORLD takes)."""
    wav, rate = load_audio(path)
    return wav.astype(np.float64), rate


def _evaluate_into(res: UttResult, job: UttJob, settings: EvalSettings) -> None:
    """Load the audio and fill ``res`` with every requested metric (see :func:`evaluate_utterance`)."""
    audio: dict[str, tuple[np.ndarray, int]] = {}
    loaded: dict[str, tuple[np.ndarray, int]] = {}
    paths = (("converted", job.converted), ("target", job.target), ("source", job.source), ("analysis", job.analysis))
    for system, path in paths:
        if path is None:
            continue
        try:
            audio[system] = loaded[path] if path in loaded else _timed(res, "load", lambda p=path: _load_float64(p))
            loaded[path] = audio[system]
        except Exception as e:  # any reader failure is a skip reason
            if system in ("converted", "target"):
                res.skip = f"unreadable: {system} audio {path}: {type(e).__name__}: {e}"
                return
            res.errors.append(f"{system}: unreadable {path}: {type(e).__name__}: {e}")
    if _WORLD_METRICS & set(settings.metrics):
        _timed(res, "world", lambda: _world_metrics(res, audio, settings))
    if "speaker" in settings.metrics:
        for system, (wav, rate) in audio.items():
            try:
                res.embeddings[system] = _timed(
                    res, "speaker", lambda w=wav, r=rate: _once(w, "speaker", lambda: _model("speaker").embed(w, r))
                )
            except ValueError as e:
                res.errors.append(f"speaker {system}: {e}")
    if "asr" in settings.metrics:
        _timed(res, "asr", lambda: _asr_metrics(res, audio, job.text))


def _init_worker() -> None:
    """One thread per worker process (``--nj`` processes share the cores)."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def evaluate_all(jobs: Sequence[UttJob], settings: EvalSettings, nj: int = 1, progress: bool = True) -> list[UttResult]:
    """Evaluate every job over ``nj`` processes with a progress bar; results sorted by utt id.

    Args:
        jobs: One per utterance.
        settings: Metrics and analysis settings.
        nj: Worker processes (1: in this process).
        progress: A tqdm progress bar on stderr when it is a terminal (False: never).

    Returns:
        One result per job.
    """
    from espnet2_vc.durations.dtw import warmup
    from espnet2_vc.utils.progress import progress as bar

    warmup()  # compile (or load) the numba DTW once, before forking
    fn = functools.partial(evaluate_utterance, settings=settings)
    shown = None if progress else False  # on a terminal only, unless switched off
    if nj <= 1 or len(jobs) <= 1:
        results = [fn(job) for job in bar(jobs, "vc_evaluate", enabled=shown)]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(nj, len(jobs)), initializer=_init_worker) as pool:
            results = list(bar(pool.imap_unordered(fn, jobs), "vc_evaluate", total=len(jobs), enabled=shown))
    return sorted(results, key=lambda r: r.utt)


def settings_summary(settings: EvalSettings, fs_used: Sequence[int]) -> dict[str, Any]:
    """The analysis settings as written to ``results.json`` (with the order / alpha of each rate used)."""
    world = dataclasses.asdict(settings.world)
    rates = sorted({fs for fs in fs_used if fs})
    world["mcep_by_fs"] = {
        str(fs): dict(zip(("order", "alpha"), mcep_params(fs, settings.world.mcep_order, settings.world.mcep_alpha)))
        for fs in rates
    }
    return {"metrics": list(settings.metrics), "eval_fs": settings.eval_fs, "eval_fs_used": rates, "world": world}
