"""Training's readiness check for /readyz: does a model serve at least one artist?"""
from artguard.health import NotReady


def promoted_model_check() -> str:
    # One call into serving, on purpose: what "a model serves" means lives there.
    from training.serving import served_artists

    artists = served_artists()
    if not artists:
        raise NotReady("No model is promoted for any artist: a staff member must promote a trained run (Runs page), or run `manage.py bootstrap_demo`.")
    names = ", ".join(f"{artist.name} ({artist.serving['model_version']})" for artist in artists[:5])
    more = f" and {len(artists) - 5} more" if len(artists) > 5 else ""
    return f"{len(artists)} artist(s) served: {names}{more}"
