"""Speaking-duration agreement of a converted and a target utterance.

The speech span of an utterance is the time from its first to its last speech frame (frames at or above the
silence threshold of :mod:`espnet2_vc.evaluate.world`), so leading and trailing silence do not count but
pauses inside do. The metric is the log duration ratio

    log_dur_ratio = ln(span_converted / span_target)

0 for equal durations, ``ln 1.25 = 0.223`` for a converted utterance 25 % longer, ``-0.223`` for 20 % shorter.
Its mean over a set shows a bias (too slow or too fast); the mean of its absolute value, the typical error.
"""

import math

from espnet2_vc.evaluate.world import WorldFeatures


def speech_span_s(features: WorldFeatures, silence_db: float) -> float:
    """Seconds from the first to the last speech frame (one frame period when only one is speech).

    Args:
        features: WORLD features of the utterance.
        silence_db: Silence threshold in dB re. the utterance's mean frame power.

    Returns:
        The span in seconds, 0 when no frame is speech.
    """
    mask = features.speech_mask(silence_db)
    if not mask.any():
        return 0.0
    idx = mask.nonzero()[0]
    return (int(idx[-1]) - int(idx[0]) + 1) * features.frame_period_ms / 1000.0


def log_duration_ratio(converted: WorldFeatures, target: WorldFeatures, silence_db: float = -20.0) -> float:
    """``ln(span_converted / span_target)``; NaN when a side has no speech frame."""
    span_c = speech_span_s(converted, silence_db)
    span_t = speech_span_s(target, silence_db)
    if span_c <= 0 or span_t <= 0:
        return math.nan
    return math.log(span_c / span_t)
