"""System check: every receipt count has an eraser, so an erasure cannot silently skip a kind of
user data because the app that holds it forgot to register (accounts/erasers.py)."""
from django.core.checks import Error, register


@register()
def erasers_cover_receipt_counts(app_configs=None, **kwargs) -> list[Error]:
    from accounts.erasers import OWN_KINDS, user_data_erasers
    from accounts.erasure_store import COUNT_FIELDS

    registered = {eraser.kind for eraser in user_data_erasers()}
    return [
        Error(
            f"No user-data eraser is registered for the erasure receipt count {kind!r}.",
            hint="The app that stores this data must call accounts.erasers.user_data_eraser_register in its AppConfig.ready().",
            id="accounts.E001",
        )
        for kind in COUNT_FIELDS
        if kind not in OWN_KINDS and kind not in registered
    ]
