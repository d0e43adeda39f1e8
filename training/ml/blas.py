"""numpy's BLAS on one thread for a block.

Scoring's matrix products are small (tens of patches by a few thousand values: the head, the
familiarity reference, the reference index), too little work to share between threads.
OpenBLAS's own threads, spinning beside the scoring lanes on a busy host, gave them a long
tail (bench/results/cpu_paths.json, "familiarity of 28 patches beside busy scoring lanes").
Training's fits run on one thread too (training.services.execution): on this 2-core host the
nested CV's logistic fits and the familiarity reference's SVDs ran slower on two BLAS
threads than on one (2-24x), the threads spinning against each other and anything else running
(bench/bench_bootstrap.py: nested CV 17.5 -> 1.7 s, familiarity 34 -> 1.4 s a run, beside
other benchmarks; 3.6-12.5 s against 1.6-1.9 s for the SVDs alone).
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
