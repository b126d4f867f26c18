"""espnet2_vc: parallel voice conversion on top of ESPnet2.

``from espnet2_vc import VoiceConverter`` is resolved lazily, so that importing the package (e.g. for its
command-line tools) does not pay espnet's import time; the text front-ends espnet imports and voice conversion
never uses are deferred (``espnet2_vc.deferred_imports``).
"""

from typing import Any

from espnet2_vc import deferred_imports

deferred_imports.install()

__version__ = "0.1.0"
__all__ = ["VoiceConverter", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "VoiceConverter":
        from espnet2_vc.inference import VoiceConverter

        return VoiceConverter
    raise AttributeError(f"module 'espnet2_vc' has no attribute {name!r}")
