"""The local writer: the explanation ArtGuard writes itself from a verdict's evidence, in the
sections Claude answers in (detection.explain), when no key is set or Claude fails. It says
only what the evidence shows: the score, the cited regions and their reference passages, how
evenly the patches scored, what lowers confidence, and what a photograph cannot show."""
from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: detection.explain imports this module
    from detection.explain import Evidence, PatchEvidence
    from detection.reading import Reading


LIMITS_STATEMENT = (
    "This analysis looks only at the RGB pixels of a photograph. It cannot assess pigments, "
    "canvas or support, ground layers, age or provenance, and it is one piece of evidence for "
    "an expert examination, not a verdict on its own."
)

UNFAMILIAR_STATEMENT = (
    "This photograph's patches are unlike the images the model was trained on, so its score here "
    "is an extrapolation rather than evidence; that is why the verdict is inconclusive whatever "
    "the score. A model trained on works closer to this one, or a photograph closer to those it "
    "learned from, would be needed for a meaningful result."
)


DEMO_STATEMENT = "This score comes from a demo model trained on synthetic images, so it is not meaningful for real artworks."
CAPTURE_STATEMENT = (
    "The verdict is inconclusive whatever the score because this photograph was taken unlike every "
    "photograph the model was validated on, so its error rates do not apply to it."
)


def location_name(*, x: float, y: float, w: float, h: float, width: int, height: int) -> str:
    """'upper left', 'centre', 'lower right'... from the patch centre in thirds of the image."""
    cx, cy = (x + w / 2) / max(width, 1), (y + h / 2) / max(height, 1)
    vertical = "upper" if cy < 1 / 3 else "lower" if cy > 2 / 3 else "middle"
    horizontal = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    if vertical == "middle" and horizontal == "centre":
        return "centre"
    if vertical == "middle":
        return f"middle {horizontal}"
    return f"{vertical} {horizontal}"


def _verdict_words(verdict: str) -> str:
    return {
        "LIKELY_AUTHENTIC": "likely authentic",
        "INCONCLUSIVE": "inconclusive",
        "LIKELY_FORGED": "likely forged",
    }.get(verdict, verdict.lower().replace("_", " "))


def _describe_patch(patch: PatchEvidence) -> str:
    view = "close-up detail" if patch.scale >= 1 else "wider view"
    return f"{patch.label} in the {patch.location} ({view}, {round(patch.p * 100)}%)"


def _how_to_read(reading: Reading) -> list[str]:
    """The operating point, the verdicts the model cannot give, and a missing calibration."""
    return [line for line in (reading.operating_point, *reading.cannot, reading.calibration_note) if line]


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _count(n: int, singular: str, plural: str) -> str:
    return f"{NUMBER_WORDS.get(n, n)} {singular if n == 1 else plural}"


PROXY_SUBLABEL = "proxy"  # training.data: another artist's authentic work, trained as "not this artist"


def reference_kind(ref: dict) -> str:
    """How a reference passage is named: "authentic", "known forgery (copy)", "another artist's work"."""
    if ref["label"] != "forged":
        return "authentic"
    if ref.get("sublabel") == PROXY_SUBLABEL:
        return "another artist's work"
    return f"known forgery ({ref['sublabel']})" if ref.get("sublabel") else "known forgery"


def _forged_noun(closer: list[dict]) -> str:
    proxies = sum(ref.get("sublabel") == PROXY_SUBLABEL for ref in closer)
    if proxies == len(closer):
        return _count(len(closer), "work by another artist", "works by other artists")
    if proxies:
        return f"{NUMBER_WORDS.get(len(closer), len(closer))} known forgeries or works by other artists"
    return _count(len(closer), "known forgery", "known forgeries")


def _shown(similarity: float) -> float:
    return round(float(similarity), 2)  # as every page prints it


def reference_sentence(label: str, references: dict | None, p: float | None = None) -> str:
    """How region `label` compares with its reference passages, from their similarities alone:
    "S1 is closer to two known forgeries (copy) than to any authentic passage ...". "" without any.
    Equal at the two decimals shown is a tie, never "closer". With the region's own score `p`,
    a score and nearest passages that point different ways are said to."""
    authentic = list((references or {}).get("authentic") or [])
    forged = list((references or {}).get("forged") or [])
    if not authentic and not forged:
        return ""
    best_authentic = authentic[0]["similarity"] if authentic else -1.0
    best_forged = forged[0]["similarity"] if forged else -1.0
    if authentic and forged and _shown(best_authentic) == _shown(best_forged):
        return (f"{label} is as close to the known forgeries as to the authentic passages (similarity {best_forged:.2f} each): "
                "its reference passages do not tell them apart.")
    sentence = _closer_sentence(label, authentic, forged, best_authentic, best_forged)
    if p is not None and (best_forged > best_authentic) != (p >= 0.5):
        sentence += (f" Yet it scores {round(float(p) * 100)}% suspicious: its score and its nearest passages point different "
                     "ways, so neither settles it.")
    return sentence


def _closer_sentence(label: str, authentic: list, forged: list, best_authentic: float, best_forged: float) -> str:
    if best_forged > best_authentic:
        closer = [ref for ref in forged if ref["similarity"] > best_authentic]
        kinds = sorted({ref["sublabel"] for ref in closer if ref.get("sublabel") and ref["sublabel"] != PROXY_SUBLABEL})
        than = f"than to any authentic passage (similarity {best_forged:.2f}, against at best {best_authentic:.2f})" if authentic else "(the training set has no authentic passages)"
        kinds_words = f" ({', '.join(kinds)})" if kinds else ""
        return f"{label} is closer to {_forged_noun(closer)}{kinds_words} {than}."
    closer = [ref for ref in authentic if ref["similarity"] >= best_forged]
    than = f"than to any known forgery (similarity {best_authentic:.2f}, against at best {best_forged:.2f})" if forged else "(the training set has no forged passages)"
    return f"{label} is closer to {_count(len(closer), 'authentic passage', 'authentic passages')} of the training works {than}."


SPREAD_GAP = 0.3  # 30 points between the top (or bottom) patch and the median is a region that stands out


def spread_sentence(probabilities: list[float]) -> str:
    """How suspicion spreads over the patches, from every patch's score (the heatmap's figures):
    concentrated only when the top patches stand out from the median, not when most patches
    are high. "" without patches."""
    if not probabilities:
        return ""
    values = [float(p) for p in probabilities]
    low, high, median = min(values), max(values), statistics.median(values)
    figures = f"(patches from {round(low * 100)}% to {round(high * 100)}%, median {round(median * 100)}%)"
    if high - low < SPREAD_GAP:
        return f"Patch scores are fairly even across the image {figures}, so the result reflects the picture as a whole rather than one region."
    if high - median >= SPREAD_GAP:
        return (f"Suspicion is concentrated in a few regions {figures}. That can point to local differences in handling, such "
                "as retouching or a different hand, but also to photographic effects such as glare, blur or reflections, so "
                "those regions deserve a close look in person.")
    return (f"Most of the picture scores high {figures}; a few regions score lower. The result reflects most of the "
            "picture rather than one region.")


def local_sections(evidence: Evidence) -> dict:
    """The four sections, templated from the same evidence Claude sees."""
    reading = evidence.reading
    if evidence.unfamiliar:
        verdict = (f"The model gives this photograph a forgery score of {evidence.forgery_score} out of 100, "
                   "but the verdict is inconclusive because the photograph is unlike the images it was trained on.")
    elif evidence.capture_outside:
        verdict = (f"The model gives this photograph a forgery score of {evidence.forgery_score} out of 100, "
                   "but the verdict is inconclusive because the photograph was taken unlike every photograph "
                   "the model was validated on; the score points neither way.")
    else:
        verdict = (f"The model gives this photograph a forgery score of {evidence.forgery_score} out of 100, "
                   f"which it reads as {_verdict_words(evidence.verdict)}.")

    if evidence.is_demo:  # first, not buried: nothing after it means anything for a real work
        verdict = f"{DEMO_STATEMENT} {verdict}"

    found = []
    if evidence.most_suspicious:
        found.append(f"The patches it found most suspicious are {'; '.join(_describe_patch(p) for p in evidence.most_suspicious)}.")
    if evidence.least_suspicious:
        found.append(f"The least suspicious patches are {'; '.join(_describe_patch(p) for p in evidence.least_suspicious)}.")
    compared = [reference_sentence(p.label, p.references, p.p) for p in (*evidence.most_suspicious, *evidence.least_suspicious)]
    compared = [line for line in compared if line]
    if compared:
        found += compared
        found.append("Similarity measures how alike two passages look to the model (1 is identical); a close reference is a "
                     "comparison for an expert to make, not proof of who painted either.")
    elif evidence.references_note:
        found.append(evidence.references_note)
    spread = spread_sentence(evidence.patch_probabilities or [p.p for p in (*evidence.most_suspicious, *evidence.least_suspicious)])
    if spread:
        found.append(spread)

    lowers = []
    if evidence.capture_outside:
        lowers.append(CAPTURE_STATEMENT)
        lowers += evidence.capture_reasons
    if evidence.unfamiliar:
        lowers.append(UNFAMILIAR_STATEMENT)
    elif reading.thresholds and not evidence.capture_outside:
        lowers.append(reading.thresholds)
    lowers += _how_to_read(reading)
    lowers.append("Glare, blur, reflections, framing or a low resolution in the photograph change what the patches show and can move the score.")
    if evidence.attributed_artist:
        lowers.append(
            f"The work is attributed to {evidence.attributed_artist}, and it was scored by the model trained for "
            f"{evidence.attributed_artist}: on that artist's authentic works and on known imitations, forgeries and "
            "copies of them. The score says how the photographed brushwork compares with those examples; it "
            "cannot prove who made the work."
        )
    return {"verdict": verdict, "evidence": " ".join(found), "confidence": " ".join(lowers), "cannot_show": LIMITS_STATEMENT}
