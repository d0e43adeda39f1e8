"""What a run would train on, shown before it starts: for each artist of a dataset version, its
works counted by label and sublabel, and how many other artists' authentic works the "proxy
negatives" option would add. Read from the version's snapshot (one GetItem and one file) and
the artist registry (one query), never from the images table.
"""
from __future__ import annotations

from collections import Counter

from training import data as training_data

NO_SUBLABEL = "(none)"


def counts_by_artist(snapshot: dict, resolver) -> list[dict]:
    """[{"slug", "name", "rows": [{"label", "sublabel", "images"}], "authentic", "forged",
    "proxies"}] by artist name; `resolver` finds an artist from an attributed_creator
    (datasets.artists.Resolver). Works attributed to no registered artist are left out: no
    run trains on them."""
    by_artist: dict[str, tuple] = {}
    for image in snapshot.get("images", []):
        creator = image.get("attributed_creator")
        artist = resolver.find(creator) if creator else None
        if artist is None:
            continue
        _, counts = by_artist.setdefault(artist.slug, (artist, Counter()))
        counts[(image.get("label") or "", image.get("sublabel") or NO_SUBLABEL)] += 1
    authentic_total = sum(counts[key] for _, counts in by_artist.values() for key in counts if key[0] == "authentic")
    out = []
    for artist, counts in sorted(by_artist.values(), key=lambda item: item[0].name):
        authentic = sum(n for (label, _), n in counts.items() if label == "authentic")
        out.append({
            "slug": artist.slug,
            "name": artist.name,
            "rows": [{"label": label, "sublabel": sublabel, "images": n} for (label, sublabel), n in sorted(counts.items())],
            "authentic": authentic,
            "forged": sum(n for (label, _), n in counts.items() if label == "forged"),
            # Other artists' authentic works, which join the forged side as "proxy" with the option.
            "proxies": authentic_total - authentic,
        })
    return out


def version_preview(name: str) -> dict:
    """{"version", "artists": counts_by_artist, "error"} for the runs page; `error` says in
    words why a version cannot be previewed (missing, incomplete)."""
    from datasets.selectors import artists_resolver

    try:
        snapshot = training_data.dataset_version_snapshot(name)
    except training_data.TrainingDataError as error:
        return {"version": name, "artists": [], "error": str(error)}
    return {"version": name, "artists": counts_by_artist(snapshot, artists_resolver()), "error": ""}
