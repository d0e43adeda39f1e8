"""Shrinkage LDA solved by Cholesky instead of least squares.

scikit-learn's `lsqr` solver finds the discriminant directions with `scipy.linalg.lstsq`, an SVD
of the shared covariance: with the brushwork features that is a 1,952 x 1,952 matrix, about ten
times the work of a Cholesky solve, and it was most of the time of every run with the default grid
(one LDA head per fold, four fits each with its temperature; `bench/bench_lda.py`). The
Ledoit-Wolf covariance is shrunk toward a multiple of the identity, so it is positive definite and
the Cholesky solve gives the same directions up to float rounding (tested against scikit-learn's).
A covariance that is not (no shrinkage, a constant feature) falls back to least squares.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, _class_cov, _class_means


class CholeskyLDA(LinearDiscriminantAnalysis):
    def __init__(self):
        super().__init__(solver="lsqr", shrinkage="auto")

    def _solve_lstsq(self, X, y, shrinkage, covariance_estimator):
        self.means_ = _class_means(X, y)
        self.covariance_ = _class_cov(X, y, self.priors_, shrinkage, covariance_estimator)
        try:
            self.coef_ = linalg.solve(self.covariance_, self.means_.T, assume_a="pos", check_finite=False).T
        except linalg.LinAlgError:
            self.coef_ = linalg.lstsq(self.covariance_, self.means_.T)[0].T
        self.intercept_ = -0.5 * np.diag(self.means_ @ self.coef_.T) + np.log(self.priors_)
