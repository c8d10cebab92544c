"""16-bit and HDR sources: the transfer function that makes them a 16-bit signal, and their file I/O."""

from texsandwich.hdr.transfer import PQ_PEAK_NITS, WHITE_NITS, linear_to_pq16, pq16_to_linear

__all__ = ["PQ_PEAK_NITS", "WHITE_NITS", "linear_to_pq16", "pq16_to_linear"]
