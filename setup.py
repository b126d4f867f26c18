"""espnet2_vc: parallel voice conversion (NARS2S) on top of ESPnet2."""

from setuptools import find_packages, setup

# Versions verified together on Python 3.11 (see doc/install.md). espnet 202511 imports
# torchaudio from AbsTask's import chain, so torch and torchaudio must be a matching pair.
install_requires = [
    "espnet==202511",
    "torch==2.9.1",
    "torchaudio==2.9.1",
    "kaldiio>=2.18",
    "soundfile>=0.12",
    "librosa>=0.10",
    "pyworld>=0.3.4",
    "pysptk>=1.0",
    "fastdtw>=0.3.4",
    "matplotlib>=3.7",
    "tensorboard>=2.14",
    "vocos==0.1.0",  # the Vocos vocoder's backbone and iSTFT head (MIT); pulls encodec and huggingface-hub
    # evaluation (all offline: resemblyzer and pocketsphinx ship their models in the wheels)
    "resemblyzer==0.1.4",
    "pocketsphinx==5.1.1",
    "jiwer==4.0.0",
    "scipy>=1.11,<1.18",  # resemblyzer imports scipy.ndimage.morphology (deprecated, still there in 1.17)
    "setuptools<74",
]

setup(
    name="espnet2_vc",
    version="0.1.0",
    description="Parallel voice conversion (NARS2S, HiFi-GAN, Vocos) built on ESPnet2",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["espnet2_vc", "espnet2_vc.*"]),
    python_requires=">=3.10,<3.12",
    install_requires=install_requires,
    # wandb: --use_wandb true (tools/install.sh installs it; the tests run it offline)
    # pytest-xdist: the tests run one worker per core (pytest.ini)
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "ruff>=0.6", "hypothesis>=6.100", "wandb>=0.17"],
        "wandb": ["wandb>=0.17"],
    },
    license="Apache-2.0",
)
