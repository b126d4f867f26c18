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
