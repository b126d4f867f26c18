"""VoiceConverter's decoding options: passed to the network, checked against what it takes."""

import pytest

from espnet2_vc.inference import check_decode_conf
from espnet2_vc.vc.nars2s.nars2s import NARS2S
from espnet2_vc.vc.vtn.vtn import VTN


def test_decode_conf_names_the_keys_a_network_does_not_take():
    vtn = VTN(4, 4, adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, eprenet_units=8, dprenet_units=8,
              postnet_layers=0)  # fmt: skip
    check_decode_conf(vtn, {"threshold": 0.4, "maxlenratio": 2.0, "minlenratio": 0.1})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['beam'\] for VTN; accepted: maxlenratio"):
        check_decode_conf(vtn, {"beam": 4})
    nars2s = NARS2S(4, 4, adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=0)
    with pytest.raises(ValueError, match="accepted: none"):
        check_decode_conf(nars2s, {"threshold": 0.5})
    with pytest.raises(ValueError, match="durations"):  # filled by the wrapper, not a decoding option
        check_decode_conf(nars2s, {"durations": None})


def test_a_data_dir_rtf_is_measured_warm(tiny_exp, tmp_path, monkeypatch):
    """The first utterance is converted once untimed first (one-off costs), so every rtf is a warm one."""
    import numpy as np
    import soundfile as sf

    from espnet2_vc.inference import VoiceConverter, convert_dataset
    from espnet2_vc.utils.kaldi import read_kaldi

    lines = []
    for i in range(3):
        path = tmp_path / f"u{i}.wav"
        t = np.arange(8000) / 8000
        sf.write(path, 0.3 * np.sin(2 * np.pi * (150 + 20 * i) * t) * (1 + np.sin(2 * np.pi * 3 * t)), 8000)
        lines.append(f"u{i} {path}")
    (tmp_path / "wav.scp").write_text("\n".join(lines) + "\n")
    vc = VoiceConverter.from_pretrained(tiny_exp, vocoder=None)
    calls = []
    convert = VoiceConverter.__call__

    def counted(self, *args, **kwargs):
        calls.append(len(kwargs["wav"]))
        return convert(self, *args, **kwargs)

    monkeypatch.setattr(VoiceConverter, "__call__", counted)
    n, failed = convert_dataset(vc, [(str(tmp_path / "wav.scp"), "src_speech", "sound")], tmp_path / "out")
    assert (n, failed) == (3, 0) and len(calls) == 4 and calls[0] == calls[1]  # the first utterance twice
    rtf = read_kaldi(tmp_path / "out" / "rtf")
    assert list(rtf) == ["u0", "u1", "u2"] and all(float(v) > 0 for v in rtf.values())


def _wav(seconds: float = 0.8, f0: float = 140.0):
    import numpy as np

    t = np.arange(int(8000 * seconds)) / 8000
    return (0.3 * np.sin(2 * np.pi * f0 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype("float32")


def test_speakers_by_name_are_the_ids_of_spk2sid(tiny_m2m_exp):
    """src_spk/tgt_spk convert as the ids spk2sid gives them; another target name gives another output."""
    import torch

    from espnet2_vc.inference import VoiceConverter

    vc = VoiceConverter.from_pretrained(tiny_m2m_exp, vocoder=None)
    assert vc.speakers == {"spk0": 0, "spk1": 1, "spk2": 2}
    by_name = vc(_wav(), src_spk="spk0", tgt_spk="spk2")["feat_gen"]
    by_id = vc(_wav(), src_sids=torch.tensor([0]), tgt_sids=torch.tensor([2]))["feat_gen"]
    other = vc(_wav(), src_spk="spk0", tgt_spk="spk1")["feat_gen"]
    assert torch.equal(by_name, by_id)
    assert by_name.shape != other.shape or not torch.allclose(by_name, other)


def test_an_unknown_speaker_is_refused_with_the_known_ones(tiny_m2m_exp, tiny_exp):
    from espnet2_vc.inference import VoiceConverter

    vc = VoiceConverter.from_pretrained(tiny_m2m_exp, vocoder=None)
    with pytest.raises(ValueError, match="unknown speaker 'bob'; this model knows: spk0, spk1, spk2"):
        vc(_wav(), src_spk="bob", tgt_spk="spk1")
    one_pair = VoiceConverter.from_pretrained(tiny_exp, vocoder=None)
    with pytest.raises(ValueError, match="has no speaker names"):
        one_pair(_wav(), src_spk="spk0", tgt_spk="spk1")
    with pytest.raises(ValueError, match="converts between 3 speakers"):  # neither names nor ids
        vc(_wav())


def test_a_pack_keeps_the_speaker_names(tiny_m2m_exp, tmp_path):
    """vc_pack --spk2sid packs vc/spk2sid; the unpacked model converts by name, as the exp dir does."""
    import torch

    from espnet2_vc.bin import vc_pack
    from espnet2_vc.inference import VoiceConverter

    out = tmp_path / "model.zip"
    vc_pack.main(["--train_config", str(tiny_m2m_exp / "config.yaml"), "--model_file",
                  str(tiny_m2m_exp / "valid.loss.best.pth"), "--outpath", str(out),
                  "--spk2sid", str(tiny_m2m_exp / "spk2sid")])  # fmt: skip
    packed = VoiceConverter.from_pretrained(out, vocoder=None)
    direct = VoiceConverter.from_pretrained(tiny_m2m_exp, vocoder=None)
    assert packed.speakers == direct.speakers
    assert torch.equal(packed(_wav(), src_spk="spk1", tgt_spk="spk0")["feat_gen"],
                       direct(_wav(), src_spk="spk1", tgt_spk="spk0")["feat_gen"])  # fmt: skip


def test_vc_inference_names_the_speakers_of_every_utterance(tiny_m2m_exp, tmp_path):
    import soundfile as sf

    from espnet2_vc.bin import vc_inference

    sf.write(tmp_path / "a.wav", _wav(), 8000)
    base = ["--model_file", str(tiny_m2m_exp), "--wav", str(tmp_path / "a.wav"), "--vocoder", "none"]
    vc_inference.main([*base, "--output_dir", str(tmp_path / "ok"), "--src_spk", "spk0", "--tgt_spk", "spk2"])
    assert (tmp_path / "ok" / "norm" / "feats.scp").read_text().startswith("a ")
    with pytest.raises(SystemExit, match="unknown speaker 'nobody'; this model knows: spk0, spk1, spk2"):
        vc_inference.main([*base, "--output_dir", str(tmp_path / "bad"), "--src_spk", "nobody", "--tgt_spk", "spk2"])
