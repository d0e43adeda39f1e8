"""OpenAPI: the attributed_artist field lists the artists a model serves when the schema is made."""
from __future__ import annotations


def list_served_artists(result, generator, request, public):
    """drf-spectacular post-processing hook (settings.SPECTACULAR_SETTINGS)."""
    from training.selectors import served_artists

    try:
        names = [artist.name for artist in served_artists()]
    except Exception:  # the schema still renders when DynamoDB is unreachable
        names = []
    listing = ", ".join(names) or "none yet"
    for schema in result.get("components", {}).get("schemas", {}).values():
        field = (schema.get("properties") or {}).get("attributed_artist")
        if field is None or schema.get("readOnly"):
            continue
        field["x-served-artists"] = names
        if "file" in (schema.get("properties") or {}):  # the upload: required, though checked by the service
            schema["required"] = sorted({*schema.get("required", []), "attributed_artist"})
        field["description"] = (
            f"{field.get('description', '')} The artist the work is attributed to: a canonical name or alias of an artist "
            f"with a model (GET /api/artists/). Served when this schema was made: {listing}.").strip()
    return result
