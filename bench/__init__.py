"""Benchmarks and the soak test (see bench/README.md). Run from the repository's root:

    python -m bench.callbacks --quick      (or python bench/callbacks.py --quick)

Modules: ``synthetic`` (synthetic police extracts and the benchmark warehouses), ``baseline``
(the plain-pandas version of the page callbacks), ``harness`` (servers, their memory, the HTTP
clients and request plans); ``callbacks``, ``soak``, ``load`` and ``report`` are the entry points.
"""

from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MB = 1024 * 1024
