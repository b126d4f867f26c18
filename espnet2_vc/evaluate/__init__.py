"""Objective evaluation of converted speech (stage 8 of the recipe driver).

Modules, one metric family each:

- Audio and `<utt> <value>` files are read by the package-wide readers (:mod:`espnet2_vc.utils.audio`,
  :mod:`espnet2_vc.utils.kaldi`).
- :mod:`~espnet2_vc.evaluate.world`: WORLD analysis (F0, mel-cepstrum, frame power) shared by the next three.
- :mod:`~espnet2_vc.evaluate.mcd`: mel-cepstral distortion on a DTW path over speech frames.
- :mod:`~espnet2_vc.evaluate.f0`: F0 RMSE, F0 correlation and voiced/unvoiced error on that path.
- :mod:`~espnet2_vc.evaluate.duration`: log ratio of converted to target speech duration.
- :mod:`~espnet2_vc.evaluate.speaker`: resemblyzer speaker-embedding cosine similarity.
- :mod:`~espnet2_vc.evaluate.asr`: pocketsphinx transcription, WER / CER with jiwer.
- :mod:`~espnet2_vc.evaluate.runner`: one utterance's metrics, a whole set over worker processes.
- :mod:`~espnet2_vc.evaluate.report`: averages, ``results.json`` and ``results.md``.
- :mod:`~espnet2_vc.evaluate.page`: the ``index.html`` samples page with spectrogram images.

See doc/evaluation.md for the definitions.
"""
