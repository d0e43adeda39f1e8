"""The LDA head's fit: scikit-learn's least-squares solve against training.ml.lda's Cholesky
solve of the same shrunk covariance, interleaved in one run, on data shaped like a default-grid
fold (brushwork features, 1,952 values; authentic + two forgery types):

    .venv/bin/python bench/bench_lda.py [--quick]

Each LDA head fits four times (three cross-fitted fits for its temperature, then the head), in
every outer fold and for the final model.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, median, report  # noqa: E402

DIMENSIONS = 1952


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    import numpy as np
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from training.ml.lda import CholeskyLDA

    repeats = 1 if args.quick else 3
    figures = []
    for rows in (300, 1400):  # the 12-image test fixture with copies; a 120-image set's fold with copies
        rng = np.random.default_rng(rows)
        x = rng.normal(size=(rows, DIMENSIONS)) + rng.normal(size=(rows, 1)) * 0.5
        target = np.arange(rows) % 3
        least_squares, cholesky = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            theirs = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x, target)
            least_squares.append(time.perf_counter() - started)
            started = time.perf_counter()
            ours = CholeskyLDA().fit(x, target)
            cholesky.append(time.perf_counter() - started)
        difference = float(np.abs(ours.decision_function(x) - theirs.decision_function(x)).max())
        naive, measured = median(least_squares), median(cholesky)
        figures.append(Figure(f"LDA fit, {rows} rows x {DIMENSIONS}", measured, "s", naive=naive, ratio=naive / measured,
                              note=f"largest score difference {difference:.1e}"))
    report("lda", figures)


if __name__ == "__main__":
    main()
