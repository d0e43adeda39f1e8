"""numpy's BLAS on one thread for a block.

Scoring's matrix products are small (tens of patches by a few thousand values: the head, the
familiarity reference, the reference index), about 2 ms on one thread. OpenBLAS's own threads,
spinning beside the scoring lanes and the other worker on a busy host, made them several times
slower (bench/bench_scoring.py). Training's large fits keep every thread.
"""
from __future__ import annotations

_controller = None


def one_thread():
    """Limit BLAS and OpenMP to one thread for a block (a cached controller: ~0.05 ms a use)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
