"""numpy's BLAS on one thread for a block.

Scoring's matrix products are small (tens of patches by a few thousand values: the head, the
familiarity reference, the reference index), too little work to share between threads.
OpenBLAS's own threads, spinning beside the scoring lanes on a busy host, gave them a long
tail (bench/results/cpu_paths.json, "familiarity of 28 patches beside busy scoring lanes").
Training's large fits keep every thread.
"""
from __future__ import annotations

_controller = None


def one_thread():
    """Limit BLAS and OpenMP to one thread for a block (the controller is made once: making it
    inspects every loaded library)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
