"""A small HiFi-GAN trained 600 steps (vocoder_train, GANTrainer) on one real ARCTIC excerpt reconstructs it
better than Griffin-Lim on the same ground-truth mel: log-spectral distance (LSD) at the mel's own STFT
(1024/256) and at 512/128, measured here.

Griffin-Lim starts from random phases, so its LSD varies from run to run (6.5-7.4 dB at 1024/256 over 8 runs,
measured): the vocoder is compared with the mean of several runs. The vocoder trains with HiFi-GAN's losses
plus the multi-resolution STFT loss (``lambda_stft``); with the mel L1 alone, the LSD at 1024/256 stays
near 9 dB for thousands of CPU steps (doc/vocoder.md has the ablation).
"""

import os
import time

import numpy as np
import soundfile as sf
import torch
import yaml

UTT, START, SAMPLES = "arctic_a0005", 9600, 4096  # 0.26 s of voiced speech at 16 kHz
GL_RUNS = 5
VC = dict(feats_extract="fbank", tts="nars2s", feats_extract_conf=dict(fs=16000, n_fft=1024, hop_length=256,
          n_mels=80, fmin=80, fmax=7600, log_base=10.0))  # fmt: skip  (egs/arctic/vc1/conf/train.yaml's mels)
VOCODER = dict(
    generator_conf=dict(channels=128, upsample_scales=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8],
                        resblock_kernel_sizes=[3, 7], resblock_dilations=[[1, 3, 5], [1, 3, 5]]),
    discriminator_conf=dict(scales=1, periods=[2, 3],
                            scale_discriminator_params=dict(channels=16, max_downsample_channels=32, max_groups=4,
                                                            downsample_scales=[4, 4, 1]),
                            period_discriminator_params=dict(channels=4, max_downsample_channels=16,
                                                             downsample_scales=[3, 3, 1])),
    model_conf=dict(segment_size=SAMPLES, lambda_stft=45.0),  # the STFT loss at Parallel WaveGAN's resolutions
    batch_type="unsorted", batch_size=1, num_iters_per_epoch=100,
    max_epoch=6, optim="adam", optim_conf=dict(lr=0.005, betas=[0.8, 0.99]), scheduler="exponentiallr",
    scheduler_conf=dict(gamma=0.6), optim2="adam", optim2_conf=dict(lr=0.005, betas=[0.8, 0.99]),
    scheduler2="exponentiallr", scheduler2_conf=dict(gamma=0.6), best_model_criterion=[["train", "total_count",
    "max"]], keep_nbest_models=1, num_workers=0, use_matplotlib=False, use_tensorboard=False, seed=0,
)  # fmt: skip


def lsd(ref: np.ndarray, hyp: np.ndarray, n_fft: int, band=(80.0, 7600.0)) -> float:
    """Log-spectral distance in dB: mean over frames of the rms over bins (within ``band``) of the log-power gap."""
    n = min(len(ref), len(hyp))
    power = lambda x: torch.stft(torch.from_numpy(np.ascontiguousarray(x[:n])), n_fft, n_fft // 4,  # noqa: E731
                                 window=torch.hann_window(n_fft), return_complex=True).abs() ** 2  # fmt: skip
    gap = 10 * torch.log10(power(ref) + 1e-8) - 10 * torch.log10(power(hyp) + 1e-8)
    freqs = torch.arange(gap.size(0)) * 16000 / n_fft
    gap = gap[(freqs >= band[0]) & (freqs <= band[1])]
    return float(gap.pow(2).mean(0).sqrt().mean())


def test_hifigan_vs_griffin_lim_on_one_utterance(arctic_dir, tmp_path, capsys):
    from espnet2_vc.bin import vocoder_train
    from espnet2_vc.tasks.vocoder import VocoderTask
    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.registry import build_vocoder

    wav, fs = sf.read(os.path.join(arctic_dir, "cmu_us_fraser_arctic", "wav", f"{UTT}.flac"), dtype="float32")
    wav = wav[START : START + SAMPLES]
    sf.write(tmp_path / "x.wav", wav, fs, subtype="PCM_16")
    wav = sf.read(tmp_path / "x.wav", dtype="float32")[0]
    (tmp_path / "wav.scp").write_text(f"{UTT} {tmp_path / 'x.wav'}\n")
    (tmp_path / "shape").write_text(f"{UTT} {SAMPLES}\n")
    (tmp_path / "vc.yaml").write_text(yaml.safe_dump(VC))
    (tmp_path / "voc.yaml").write_text(yaml.safe_dump(VOCODER))
    mel = mel_config(str(tmp_path / "vc.yaml"))

    opts = ["--config", str(tmp_path / "voc.yaml"), "--vc_config", str(tmp_path / "vc.yaml")]
    for mode in ("train", "valid"):
        opts += [f"--{mode}_data_path_and_name_and_type", f"{tmp_path / 'wav.scp'},speech,sound",
                 f"--{mode}_shape_file", str(tmp_path / "shape")]  # fmt: skip
    torch.manual_seed(0)
    untrained = VocoderTask.build_model(VocoderTask.get_parser().parse_args([*opts, "--output_dir", "unused"]))
    feats = untrained.mels(torch.from_numpy(wav)[None], torch.tensor([len(wav)]))[0][0]

    def mel_l1(x: np.ndarray) -> float:
        """Mean |log-mel gap| to the reference, log10 units."""
        mels = untrained.mels(torch.from_numpy(x[: len(wav)])[None], torch.tensor([len(wav)]))[0][0]
        return float((mels - feats).abs().mean())

    start = time.perf_counter()
    vocoder_train.main([*opts, "--output_dir", str(tmp_path / "exp")])
    seconds = time.perf_counter() - start

    def scores(hyp: np.ndarray) -> dict:
        return dict(lsd=lsd(wav, hyp, 1024), lsd_full=lsd(wav, hyp, 1024, (0, 8000)), lsd_512=lsd(wav, hyp, 512),
                    mel_l1=mel_l1(hyp))  # fmt: skip

    hifigan = build_vocoder("hifigan", {"model_file": str(tmp_path / "exp" / "latest.pth")}, mel)
    griffin_lim = build_vocoder("griffin_lim", {}, mel)
    gl_runs = [scores(griffin_lim(feats).numpy()) for _ in range(GL_RUNS)]
    untrained.eval()
    results = {"hifigan": scores(hifigan(feats).numpy()),
               f"griffin_lim (mean of {GL_RUNS})": {k: float(np.mean([r[k] for r in gl_runs])) for k in gl_runs[0]},
               "untrained": scores(untrained.inference(feats).numpy())}  # fmt: skip
    steps = VOCODER["max_epoch"] * VOCODER["num_iters_per_epoch"]
    with capsys.disabled():
        print(f"\n{steps} HiFi-GAN steps in {seconds:.0f} s; LSD in dB (STFT 1024/256 within 80-7600 Hz | full band "
              f"| STFT 512/128), mel L1 in log10 units; Griffin-Lim LSD per run "
              f"{[round(r['lsd'], 2) for r in gl_runs]}:")  # fmt: skip
        for name, r in results.items():
            print(f"  {name:26s} LSD {r['lsd']:5.2f} | {r['lsd_full']:5.2f} | {r['lsd_512']:5.2f}   "
                  f"mel L1 {r['mel_l1']:.3f}")  # fmt: skip
    hifi, gl, init = results["hifigan"], results[f"griffin_lim (mean of {GL_RUNS})"], results["untrained"]
    assert hifi["lsd"] < gl["lsd"] and hifi["lsd_512"] < gl["lsd_512"] and hifi["lsd_full"] < gl["lsd_full"]
    assert hifi["lsd"] < init["lsd"] - 10.0 and hifi["mel_l1"] < init["mel_l1"] / 5
    assert hifi["mel_l1"] < 1.5 * gl["mel_l1"]
