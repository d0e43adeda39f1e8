"""The classifier head on frozen backbone embeddings, one of:

- the BASELINE (kind "baseline"): scikit-learn's L2 logistic regression on standardized
  features with balanced classes, its C chosen in the inner loop. Convex, well regularized and
  hard to beat on a few hundred images; every run's grid contains it, and the nested CV picks
  another head only when that head beats it on inner validation (training.ml.cv);
- the BY-TYPE head (kind "by_type"): the same regression over the forgery types, authentic
  against each forged sublabel (imitation, reproduction, ...), scored as the log-odds of "any
  forgery type" against authentic. Forgery types leave different traces, and one boundary
  between authentic works and all of them at once is swamped by the easy ones; a head per
  type is not. It is a challenger like any other: served only when it beats the baseline;
- the LDA head (kind "lda"): shrinkage linear discriminant analysis (Ledoit-Wolf) over the same
  forgery types, its class scores cooled by a temperature fitted on cross-fitted image logits
  (`_lda_temperature` says why); it takes no setting;
- a torch head (kind "torch"): logistic regression (hidden = 0) or a one-hidden-layer MLP,
  trained with Adam on patch-level binary cross-entropy with early stopping.

All four end as the same `Head` module (a scikit-learn fit is copied into a linear head), so a
saved model is served the same way whichever won. The settings each kind takes and their
ranges are training.ml.grid's.

Features are standardized with the training part's mean and (floored) standard deviation, which the
head keeps as buffers so it is self-contained at scoring time. Classes are balanced with
`pos_weight` (negatives / positives). Early stopping watches the validation loss: the weights
of the best epoch are kept, and training stops after `patience` epochs without improvement.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

# The default search: small on purpose (embeddings are fixed, so heads differ mainly in capacity
# and regularization). Each entry is completed with TRAINING_DEFAULTS.
BASELINE = "baseline"
BY_TYPE = "by_type"
LDA = "lda"
TORCH = "torch"
LINEAR_KINDS = (BASELINE, BY_TYPE)  # scikit-learn, take only C
SKLEARN_KINDS = (*LINEAR_KINDS, LDA)  # fitted in closed form or by lbfgs, copied into a linear Head
HEAD_KINDS = (*SKLEARN_KINDS, TORCH)
DEFAULT_GRID: list[dict] = [
    {"kind": BASELINE, "C": 0.003},
    {"kind": BASELINE, "C": 0.03},
    {"kind": BASELINE, "C": 0.3},
    {"kind": BY_TYPE, "C": 0.03},
    {"kind": BY_TYPE, "C": 0.3},
    {"kind": LDA},
    {"hidden": 0, "lr": 0.001, "weight_decay": 0.0001, "dropout": 0.0},
    {"hidden": 0, "lr": 0.001, "weight_decay": 0.01, "dropout": 0.0},
    {"hidden": 128, "lr": 0.001, "weight_decay": 0.0001, "dropout": 0.2},
    {"hidden": 128, "lr": 0.0003, "weight_decay": 0.001, "dropout": 0.5},
]
TRAINING_DEFAULTS = {"max_epochs": 60, "patience": 8, "batch_size": 256}


BASELINE_MAX_ITER = 500


def is_baseline(hyperparameters: dict) -> bool:
    return hyperparameters.get("kind") == BASELINE


def is_linear(hyperparameters: dict) -> bool:
    """A scikit-learn regression, which takes C (and only C)."""
    return hyperparameters.get("kind") in LINEAR_KINDS


def is_sklearn(hyperparameters: dict) -> bool:
    return hyperparameters.get("kind") in SKLEARN_KINDS


def describe(hyperparameters: dict) -> str:
    """What a configuration is, in a few words, for the run page."""
    kind = hyperparameters.get("kind") or TORCH
    if kind == BASELINE:
        return "scikit-learn logistic regression"
    if kind == BY_TYPE:
        return "scikit-learn logistic regression over the forgery types"
    if kind == LDA:
        return "shrinkage linear discriminant analysis over the forgery types"
    return "MLP" if hyperparameters.get("hidden") else "logistic regression"


def complete(hyperparameters: dict) -> dict:
    """A configuration with every training default filled in (what ConfigRecords store)."""
    if hyperparameters.get("kind") == LDA:
        return {"kind": LDA}
    if is_linear(hyperparameters):
        return {"kind": hyperparameters["kind"], "C": float(hyperparameters.get("C", 0.03))}
    return {"kind": TORCH, **TRAINING_DEFAULTS, **{k: v for k, v in hyperparameters.items() if k != "kind"}}


class Head(nn.Module):
    """Standardize, then a linear layer or an MLP. With `classes` > 1 (a by-type head) the
    outputs are class scores, authentic first, and the head's logit is the log-odds of any
    forged class: logsumexp(z[1:]) - z[0]."""

    def __init__(self, dim: int, hidden: int = 0, dropout: float = 0.0, classes: int = 1):
        super().__init__()
        self.classes = classes
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        if hidden:
            self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))
        else:
            self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net((x - self.mean) / self.std)
        if self.classes > 1:
            return torch.logsumexp(z[:, 1:], dim=1) - z[:, 0]
        return z.squeeze(-1)


@dataclass
class TrainedHead:
    head: Head
    hyperparameters: dict
    best_epoch: int  # 1-based epoch whose weights were kept
    best_val: float | None  # validation BCE at best_epoch (None when trained without validation)
    early_stopped: bool
    epochs_run: int


def build(dim: int, hyperparameters: dict, classes: int = 1) -> Head:
    hp = complete(hyperparameters)
    if is_sklearn(hp):
        return Head(dim, classes=classes)
    return Head(dim, hidden=int(hp["hidden"]), dropout=float(hp["dropout"]))


def predict_logits(head: Head, features: np.ndarray) -> np.ndarray:
    head.eval()
    with torch.inference_mode():
        return head(torch.from_numpy(np.asarray(features, dtype=np.float32))).numpy().astype(np.float64)


def _loss(head: Head, x: torch.Tensor, y: torch.Tensor, pos_weight: torch.Tensor) -> float:
    head.eval()
    with torch.inference_mode():
        return float(nn.functional.binary_cross_entropy_with_logits(head(x), y, pos_weight=pos_weight))


@contextmanager
def _threads(rows: int):
    """Small heads train faster on one thread: thread start-up costs more than the maths."""
    before = torch.get_num_threads()
    wanted = 1 if rows < SMALL_TRAINING_ROWS else before
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != before:
            torch.set_num_threads(before)


SMALL_TRAINING_ROWS = 2000


def train(
    train_x: np.ndarray,
    train_y: np.ndarray,
    hyperparameters: dict,
    *,
    seed: int,
    val_x: np.ndarray | None = None,
    val_y: np.ndarray | None = None,
    epochs: int | None = None,
    types: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> TrainedHead:
    """Train a head. With validation data: early stopping (best epoch kept). Without: exactly
    `epochs` epochs (default max_epochs), as when refitting with an epoch count chosen earlier.
    `types`: each row's forgery type (by-type and LDA heads); `groups`: each row's image (the
    LDA head's cross-fitted temperature keeps an image's patches together)."""
    if is_sklearn(hyperparameters):
        return _train_linear(train_x, train_y, hyperparameters, val_x=val_x, val_y=val_y, types=types, groups=groups)
    with _threads(len(train_x)):
        return _train(train_x, train_y, hyperparameters, seed=seed, val_x=val_x, val_y=val_y, epochs=epochs)


def _standardization(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and floored std. A feature (nearly) constant on the training part must not be blown
    up by a tiny std: ReLU6 embeddings have many such dimensions, and a test patch where one
    fires would otherwise dominate the logit. Floor: a tenth of the mean std."""
    std = x.std(0, unbiased=False)
    return x.mean(0), std.clamp_min(max(float(std.mean()) * 0.1, 1e-6))


def _pos_weight(y: torch.Tensor) -> torch.Tensor:
    positives = float(y.sum())
    return torch.tensor((len(y) - positives) / positives if 0 < positives < len(y) else 1.0)


def type_codes(labels: np.ndarray, types) -> np.ndarray:
    """Per row: 0 for authentic, else 1 + the index of its forgery type (sorted names)."""
    labels = np.asarray(labels, dtype=int)
    names = sorted({str(t or "") for t, label in zip(types, labels) if label == 1})
    index = {name: position + 1 for position, name in enumerate(names)}
    return np.array([index[str(t or "")] if label == 1 else 0 for t, label in zip(types, labels)])


def _train_linear(train_x, train_y, hyperparameters, *, val_x, val_y, types=None, groups=None) -> TrainedHead:
    """scikit-learn's lbfgs logistic regression or shrinkage LDA, copied into a linear Head:
    binary for the baseline, over authentic + each forgery type in `types` (per row) for the
    by-type and LDA heads."""

    hp = complete(hyperparameters)
    x = torch.from_numpy(np.asarray(train_x, dtype=np.float32))
    y = np.asarray(train_y, dtype=int)
    target = type_codes(y, types) if hp["kind"] in (BY_TYPE, LDA) and types is not None else y
    classes = int(target.max()) + 1 if target.max() > 1 else 1  # one forgery type: plain binary
    if classes == 1:
        target = y
    head = Head(x.shape[1], classes=classes)
    mean, std = _standardization(x)
    head.mean.copy_(mean)
    head.std.copy_(std)
    standardized = ((x - mean) / std).numpy().astype(np.float64)
    model = _fit_sklearn(hp, standardized, target)
    weight, bias = model.coef_.astype(np.float64), model.intercept_.astype(np.float64)
    if hp["kind"] == LDA:
        scale, shift = _lda_temperature(hp, standardized, target, y, groups, classes)
        weight, bias = weight * scale, bias * scale
        bias[-1 if classes == 1 else slice(1, None)] += shift  # shifts logsumexp(z[1:]) - z[0] by `shift`
    linear = head.net[-1]
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(weight.astype(np.float32)))
        linear.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
    head.eval()
    best_val = None
    if val_x is not None and len(val_x) > 0:
        vx = torch.from_numpy(np.asarray(val_x, dtype=np.float32))
        vy = torch.from_numpy(np.asarray(val_y, dtype=np.float32))
        best_val = round(_loss(head, vx, vy, _pos_weight(torch.from_numpy(y.astype(np.float32)))), 6)
    return TrainedHead(head, hp, 1, best_val, False, 1)


def _fit_sklearn(hp: dict, x: np.ndarray, target: np.ndarray):
    model = _sklearn_model(hp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # close enough for ranking at this C
        model.fit(x, target)
    return model


LDA_TEMPERATURE_FOLDS = 3


def _lda_temperature(hp, x, target, y, groups, classes) -> tuple[float, float]:
    """Scale and shift for LDA's class scores, fitted on cross-fitted scores of the training rows.

    LDA's posteriors assume independent Gaussian rows; patches of one image are not independent,
    so its raw log-odds are far too confident: the heatmap's patch probabilities would be all
    but 0 or 1, and its validation loss (the selection's tie-break) meaningless. Each training image's patches are scored by an LDA
    fitted without that image (folds grouped by image); the scale and shift that minimise the
    class-balanced log loss of the resulting image logits (means of patch logits) are applied to
    the final LDA's class scores: a temperature (with one forgery type the ranking is unchanged;
    with several, the types' scores blend a little more evenly). Too few images to cross-fit: (1, 0)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp
    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    image_labels = {g: label for g, label in zip(groups, y)}
    if min(sum(1 for v in image_labels.values() if v == label) for label in (0, 1)) < LDA_TEMPERATURE_FOLDS:
        return 1.0, 0.0
    # Cross-fitted class scores, authentic first; a class missing from a fold's fit scores -inf.
    scores = np.full((len(y), max(2, classes)), -np.inf)
    folds = StratifiedGroupKFold(n_splits=LDA_TEMPERATURE_FOLDS, shuffle=True, random_state=0)
    for fit_rows, score_rows in folds.split(x, y, groups):
        model = _fit_sklearn(hp, x[fit_rows], target[fit_rows])
        decision = model.decision_function(x[score_rows])
        if decision.ndim == 1:  # binary: the log-odds of class 1
            scores[np.ix_(score_rows, [0, 1])] = np.stack([np.zeros_like(decision), decision], 1)
        else:
            scores[np.ix_(score_rows, model.classes_.astype(int))] = decision
    # Judged per image, as the product judges: the image logit is the mean of its patch logits.
    _, image_of_row = np.unique(groups, return_inverse=True)
    counts = np.bincount(image_of_row)
    labels = np.bincount(image_of_row, weights=y) / counts
    weights = np.where(labels == 1, 0.5 / max(1, (labels == 1).sum()), 0.5 / max(1, (labels == 0).sum()))

    def loss(params):
        scale, shift = params
        logits = logsumexp(scale * scores[:, 1:], axis=1) - scale * scores[:, 0] + shift  # -inf columns add nothing
        image_logits = np.bincount(image_of_row, weights=logits) / counts
        return float(np.sum(weights * (np.logaddexp(0, image_logits) - labels * image_logits)))

    best = minimize(loss, x0=np.array([1.0, 0.0]), method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7})
    scale, shift = float(best.x[0]), float(best.x[1])
    return (scale, shift) if best.success and scale > 0 else (1.0, 0.0)


def _sklearn_model(hp: dict):
    if hp["kind"] == LDA:
        from training.ml.lda import CholeskyLDA

        # scikit-learn's lsqr LDA with the shrunk covariance ("auto": Ledoit-Wolf on the
        # standardized features), solved by Cholesky. Priors stay the class shares, as the
        # policy is fitted after.
        return CholeskyLDA()
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=hp["C"], class_weight="balanced", max_iter=BASELINE_MAX_ITER, tol=1e-4)


def _train(train_x, train_y, hyperparameters, *, seed, val_x, val_y, epochs) -> TrainedHead:
    hp = complete(hyperparameters)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(np.asarray(train_x, dtype=np.float32))
    y = torch.from_numpy(np.asarray(train_y, dtype=np.float32))
    head = build(x.shape[1], hp)
    mean, std = _standardization(x)
    head.mean.copy_(mean)
    head.std.copy_(std)
    pos_weight = _pos_weight(y)
    optimizer = torch.optim.Adam(head.parameters(), lr=float(hp["lr"]), weight_decay=float(hp["weight_decay"]))
    has_val = val_x is not None and len(val_x) > 0
    if has_val:
        vx = torch.from_numpy(np.asarray(val_x, dtype=np.float32))
        vy = torch.from_numpy(np.asarray(val_y, dtype=np.float32))
    max_epochs = int(epochs or hp["max_epochs"])
    batch_size, patience = int(hp["batch_size"]), int(hp["patience"])
    best_val, best_epoch, best_state, since_best = float("inf"), 0, None, 0
    epoch = 0
    early_stopped = False
    for epoch in range(1, max_epochs + 1):
        head.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(head(x[index]), y[index], pos_weight=pos_weight)
            loss.backward()
            optimizer.step()
        if not has_val:
            continue
        val = _loss(head, vx, vy, pos_weight)
        if val < best_val - 1e-6:
            best_val, best_epoch, best_state, since_best = val, epoch, {k: v.detach().clone() for k, v in head.state_dict().items()}, 0
        else:
            since_best += 1
            if since_best >= patience:
                early_stopped = True
                break
    if has_val:
        head.load_state_dict(best_state)
        head.eval()
        return TrainedHead(head, hp, best_epoch, round(best_val, 6), early_stopped, epoch)
    head.eval()
    return TrainedHead(head, hp, max_epochs, None, False, max_epochs)
