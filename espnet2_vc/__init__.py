"""espnet2_vc: parallel voice conversion on top of ESPnet2."""

__version__ = "0.1.0"
