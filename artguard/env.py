"""The one reader of environment variables. Every setting has a safe local default."""
import os

_TRUE = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None or value == "" else value.strip().lower() in _TRUE


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if not value else int(value)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if not value else float(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return default if not value else [item.strip() for item in value.split(",") if item.strip()]
