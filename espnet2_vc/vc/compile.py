"""``--compile_conf``: the VC network compiled with ``torch.compile`` (a GPU speed switch, off by default).

Compilation is in place (``nn.Module.compile``), so parameter names, checkpoints and the wrapper stay as they
are; only the network is compiled, not the feature extraction around it. On a CPU it mostly costs compile
time; on a GPU it fuses the many small element-wise kernels of the conformer blocks. Mixed precision needs no
switch of ours: espnet's ``--use_amp true`` runs the network under autocast (bfloat16 on a GPU that has it),
with the features kept in float32 (``ESPnetVCModel.forward``). Both are tested on a CPU to give the same
outputs within tolerance (``test/espnet2_vc/vc/test_compile.py``); ``bench/train_throughput.py --compile``
and ``--autocast`` measure them.
"""

from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, Optional

import torch

from espnet2_vc.vc.abs_vc import keep_loss_outputs_eager


@dataclass(frozen=True)
class CompileSettings:
    """``torch.compile`` options for the VC network. Attributes:

    enable: Compile the network.
    backend: ``torch.compile`` backend (``inductor``; ``aot_eager`` compiles without generating code).
    mode: ``torch.compile`` mode (None, ``reduce-overhead``, ``max-autotune``).
    dynamic: Compile for dynamic shapes (None: after the first shape change, as torch decides).
    """

    enable: bool = False
    backend: str = "inductor"
    mode: Optional[str] = None
    dynamic: Optional[bool] = None

    @classmethod
    def from_conf(cls, conf: Optional[Dict[str, Any]]) -> "CompileSettings":
        """Settings from a ``compile_conf`` dict (None or {}: off); an unknown key is an error."""
        conf = dict(conf or {})
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(conf) - set(names))
        if unknown:
            raise ValueError(f"--compile_conf: unknown key(s) {unknown}; accepted: {', '.join(names)}")
        return cls(**conf)

    def apply(self, network: torch.nn.Module) -> torch.nn.Module:
        """Compile ``network`` in place when enabled; return it."""
        if self.enable:
            keep_loss_outputs_eager()
            network.compile(backend=self.backend, mode=self.mode, dynamic=self.dynamic)
        return network

    def as_conf(self) -> Dict[str, Any]:
        """The complete settings, as saved in ``config.yaml``."""
        return asdict(self)
