"""Third-party text front-ends that espnet imports unconditionally, deferred until first used.

``espnet2.tasks.abs_task`` imports ``espnet2.text.phoneme_tokenizer`` (``import g2p_en``: nltk, inflect and a
cmudict download attempt that fails offline) and ``espnet2.train.collate_fn`` imports ``espnet2.text.cleaner``
(``import tacotron_cleaner.cleaners``: inflect, whose typeguard-instrumented import alone takes ~4 s). Voice
conversion tokenizes no text, so each of these modules is put in ``sys.modules`` as a stand-in that imports the
real module on its first attribute access: code that does use them (espnet's g2p tokenizers, its English
cleaner) gets the real module, transparently; nobody else pays for it. Measured in ``bench/startup.py``.
"""

import importlib
import importlib.util
import sys
import types
from typing import Any

# Module → why it is deferred (each is imported by espnet at module level and used only for text).
DEFERRED = {
    "g2p_en": "espnet2.text.phoneme_tokenizer (nltk, inflect, an nltk download attempt)",
    "tacotron_cleaner": "espnet2.text.cleaner (the English text cleaner)",
    "tacotron_cleaner.cleaners": "espnet2.text.cleaner (imports inflect and builds an inflect engine)",
    "wandb": "espnet2.tasks.abs_task (used only with --use_wandb, then imported for real)",
}


class DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute is asked for, then imports the real one and answers from it."""

    def __getattr__(self, attr: str) -> Any:  # only called for attributes the stand-in does not have
        return getattr(load(self.__name__), attr)


def load(name: str) -> types.ModuleType:
    """Replace the stand-ins of ``name``'s package by the real modules and return the real ``name``."""
    top = name.split(".")[0]
    stand_ins = [m for m in DEFERRED if (m == top or m.startswith(top + ".")) and isinstance(sys.modules.get(m),
                                                                                              DeferredModule)]
    for module in stand_ins:
        del sys.modules[module]
    for module in sorted(stand_ins, key=len):  # parents first, so `import a.b` finds the real `a`
        importlib.import_module(module)
    return importlib.import_module(name)


def install() -> None:
    """Put a stand-in for each module in ``DEFERRED`` that is installed and not imported yet."""
    for name in sorted(DEFERRED, key=len):
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:  # not installed: espnet's own import will fail or fall back as it always did
            continue
        module = DeferredModule(name)
        module.__spec__ = spec
        module.__file__ = spec.origin
        if spec.submodule_search_locations is not None:
            module.__path__ = list(spec.submodule_search_locations)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
