"""The verdict policy's error-rate targets as staff type them: in percent, on the run form and
`start_training_run`; services and training.ml.policy take fractions."""
from __future__ import annotations

from training.ml.policy import DEFAULT_TARGETS, TARGET_LIMITS

# form field / command option stem -> (policy key, label)
TARGET_FIELDS = {
    "max_forged_called_authentic": ("forged_called_authentic", "Max. forgeries called likely authentic (%)"),
    "max_authentic_called_forged": ("authentic_called_forged", "Max. authentic works called likely forged (%)"),
}
LOW, HIGH = TARGET_LIMITS[0] * 100, TARGET_LIMITS[1] * 100


class BadPercent(ValueError):
    """A target outside (0, 50] percent; the message is for staff."""


def percent_check(value: float) -> None:
    if not LOW < value <= HIGH:  # NaN fails too
        raise BadPercent(f"Enter a percentage above {LOW:g} and at most {HIGH:g}; got {value:g}.")


def default_percent(field: str) -> float:
    return DEFAULT_TARGETS[TARGET_FIELDS[field][0]] * 100


def from_percents(percents: dict) -> dict:
    """{"max_forged_called_authentic": 5, ...} in percent -> {"forged_called_authentic": 0.05, ...}."""
    return {key: float(percents[field]) / 100 for field, (key, _) in TARGET_FIELDS.items()}
