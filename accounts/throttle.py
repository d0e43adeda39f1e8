"""Login attempts per client address and email, counted in Django's cache."""
from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 3600


def _key(ip: str, email: str) -> str:
    return f"login-attempts:{ip}:{(email or '').strip().lower()}"


def login_allowed(*, ip: str, email: str) -> bool:
    return cache.get(_key(ip, email), 0) < settings.LOGIN_ATTEMPTS_PER_HOUR


def login_failed(*, ip: str, email: str) -> None:
    key = _key(ip, email)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)


def login_succeeded(*, ip: str, email: str) -> None:
    cache.delete(_key(ip, email))
