"""The settings each head kind takes and the range each may have, declared as data beside the
heads (the way scikit-learn declares an estimator's `_parameter_constraints`), and the one check
a run's hyperparameter grid passes before it is stored.

A value missing from a configuration takes its kind's default; the cleaned configuration holds
every setting, so what a ConfigRecord stores is what was trained.
"""
from __future__ import annotations

from dataclasses import dataclass

from training.ml import head


class InvalidGrid(ValueError):
    """A grid the heads cannot train; the message names the configuration and says why."""


@dataclass(frozen=True)
class Interval:
    """Numbers of `kind` (int or float) from `low` to `high` (None: unbounded); `closed` says
    which ends are allowed: "both", "left", "right" or "neither"."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __contains__(self, value) -> bool:
        above = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        below = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return above and below

    def __str__(self) -> str:
        words = []
        if self.low is not None:
            words.append(f"{'at least' if self.closed in ('both', 'left') else 'above'} {self.low:g}")
        if self.high is not None:
            words.append(f"{'at most' if self.closed in ('both', 'right') else 'below'} {self.high:g}")
        return " and ".join(words) or "any number"


_C = Interval(float, 0, 1e4, closed="right")
PARAMETER_CONSTRAINTS: dict[str, dict[str, Interval]] = {
    head.BASELINE: {"C": _C},
    head.BY_TYPE: {"C": _C},
    head.LDA: {},  # its shrinkage is estimated (Ledoit-Wolf)
    head.TORCH: {
        "hidden": Interval(int, 0, None),
        "lr": Interval(float, 0, 1, closed="right"),
        "weight_decay": Interval(float, 0, None),
        "dropout": Interval(float, 0, 1, closed="left"),
        "max_epochs": Interval(int, 1, 1000),
        "patience": Interval(int, 1, None),
        "batch_size": Interval(int, 1, None),
    },
}
DEFAULTS: dict[str, dict] = {
    head.BASELINE: {"C": 0.03},
    head.BY_TYPE: {"C": 0.03},
    head.LDA: {},
    head.TORCH: {"hidden": 0, "lr": 0.001, "weight_decay": 0.0, "dropout": 0.0, **head.TRAINING_DEFAULTS},
}
NOTES = {head.LDA: " (its shrinkage is estimated)"}
GRID_KEYS = {"kind"}.union(*PARAMETER_CONSTRAINTS.values())


def clean_grid(grid: list[dict] | None) -> list[dict]:
    """Every configuration of `grid` (None: head.DEFAULT_GRID) complete and checked."""
    grid = head.DEFAULT_GRID if grid is None else grid
    if not isinstance(grid, list) or not grid:
        raise InvalidGrid("The hyperparameter grid must be a non-empty list of configurations.")
    return [clean_config(config, position=position) for position, config in enumerate(grid, start=1)]


def clean_config(config: dict, *, position: int) -> dict:
    where = f"Configuration {position}"
    if not isinstance(config, dict) or set(config) - GRID_KEYS:
        raise InvalidGrid(f"{where}: allowed keys are {', '.join(sorted(GRID_KEYS))}.")
    kind = config.get("kind", head.TORCH)  # the torch heads of DEFAULT_GRID name no kind
    if kind not in PARAMETER_CONSTRAINTS:
        raise InvalidGrid(f"{where}: kind must be one of {', '.join(head.HEAD_KINDS)}.")
    constraints = PARAMETER_CONSTRAINTS[kind]
    if set(config) - {"kind"} - set(constraints):
        takes = f"takes only {', '.join(constraints)}" if constraints else "takes no other setting"
        raise InvalidGrid(f"{where}: the {kind} head {takes}{NOTES.get(kind, '')}.")
    cleaned = {"kind": kind}
    for name, allowed in constraints.items():
        try:
            value = allowed.kind(config.get(name, DEFAULTS[kind][name]))
        except (TypeError, ValueError):
            raise InvalidGrid(f"{where}: {name} is not a number.") from None
        if value not in allowed:
            raise InvalidGrid(f"{where}: {name} must be {allowed}, not {value}.")
        cleaned[name] = value
    return cleaned
