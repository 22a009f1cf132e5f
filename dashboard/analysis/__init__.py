"""Pure statistics on query frames (no I/O): hotspot tests and correlations.

Shared by the screen and the exports so that a significance flag means the same everywhere.
"""
