"""numpy's BLAS on one thread for a block.

Scoring's matrix products are small (tens of patches by a few thousand values: the head, the
familiarity reference, the reference index), about 1 ms on one thread. OpenBLAS's own threads,
spinning beside the scoring lanes on a busy host, gave them a long tail: the familiarity of 28
patches took 75 ms at the 95th percentile with OpenBLAS's threads and 5 ms on one
(bench/bench_cpu_paths.py). Training's large fits keep every thread.
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
