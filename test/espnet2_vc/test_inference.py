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
