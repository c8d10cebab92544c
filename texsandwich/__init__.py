"""texsandwich: sandwiched compression of graphics assets through standard codecs.

A neural pre-processor turns the source into bottleneck planes, a standard codec (HEIC, JPEG) stores
them as ordinary files, and a neural post-processor rebuilds the source from the decoded planes.
See docs/ARCHITECTURE.md for the data flow.
"""

__version__ = "0.6.11"
