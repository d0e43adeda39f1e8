"""The one seam to Anthropic: Claude explains a verdict from its evidence; without a key, or on
any error or timeout, a local explanation is built from the same evidence.

Evidence is what the model saw and said: the photograph (display JPEG), the score and verdict,
how to read them (detection.reading: the operating point, what the model cannot decide, whether
the score is calibrated), the attributed artist and title, and the three most and three least
suspicious patches with their location, scale, probability and a small crop, and for each of
those regions its closest reference passages in the model's training set (label, sublabel and
similarity; never the training images themselves, which may be confidential). Nothing else is
claimed.

Both writers answer in the same four sections (SECTIONS): the verdict in one sentence, the
evidence (regions and their references), what lowers confidence, and what a photograph cannot
show. Claude returns them through a forced tool call whose input schema is EXPLANATION_TOOL's,
so its answer is structured, not parsed out of prose.
"""
from __future__ import annotations

import base64
import dataclasses
import logging
import re
import statistics
from dataclasses import dataclass, field

from django.conf import settings

from detection.reading import Reading, reading_from

logger = logging.getLogger(__name__)

SOURCE_CLAUDE = "claude"
SOURCE_LOCAL = "local"
MAX_EXPLANATION_CHARS = 8000

LIMITS_STATEMENT = (
    "This analysis looks only at the RGB pixels of a photograph. It cannot assess pigments, "
    "canvas or support, ground layers, age or provenance, and it is one piece of evidence for "
    "an expert examination, not a verdict on its own."
)

SECTIONS = (
    ("verdict", "The verdict"),
    ("evidence", "The evidence"),
    ("confidence", "What lowers confidence"),
    ("cannot_show", "What a photograph cannot show"),
    ("context", "What documents about the artist say"),  # only with knowledge-base passages (detection.knowledge_writer)
)
TOOL_SECTIONS = SECTIONS[:4]  # the sections Claude's tool call writes
MAX_SECTION_CHARS = 2000
TOOL_NAME = "write_explanation"
EXPLANATION_TOOL = {
    "name": TOOL_NAME,
    "description": "Record the explanation of the verdict, in its four sections.",
    "input_schema": {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "description": "The verdict and score in one sentence."},
            "evidence": {"type": "string", "description": "The cited regions (S1-S3, L1-L3) and their closest reference passages, what is visible in them, and what an expert might check next."},
            "confidence": {"type": "string", "description": "What lowers confidence: photograph quality (glare, blur, framing, resolution), an unfamiliar photograph, how to read the score, the model's limits."},
            "cannot_show": {"type": "string", "description": "What a photograph cannot show (pigments, canvas or support, ground layers, age, provenance)."},
        },
        "required": [key for key, _ in TOOL_SECTIONS],
        "additionalProperties": False,
    },
}

SYSTEM_PROMPT = f"""You help collectors, dealers and conservators read the output of ArtGuard, a model that scores photographs of artworks for signs of forgery.

You receive: the photograph; the model's forgery score (0-100) and verdict; how to read them (the verdict's cut-offs, the operating point, what the model cannot decide, whether the score is calibrated); the artist the work is attributed to and its title, when given; and, as evidence, the three most and three least suspicious image patches with their location, scale and forgery probability, each with a small crop and, when the model has a reference index, the most similar passages of its training works: authentic ones and known forgeries, with their sublabel and cosine similarity.

Explain why the model may have reached its verdict (150-250 words in all) by calling the {TOOL_NAME} tool once, with four sections of plain prose:
- verdict: the score and verdict in one sentence.
- evidence: the regions and their reference passages, e.g. "S1's brushwork is closer to two known forgeries than to any authentic passage". Use only the similarities given; a reference passage resembles the region, it does not prove who painted it.
- confidence: what lowers confidence (photograph quality, an unfamiliar photograph, how to read the score, the model's limits).
- cannot_show: what a photograph cannot show.
Rules:
- Cite the patches by their labels (S1-S3, L1-L3) and locations, and describe only what is visible in the crops and the photograph (brushwork, stroke direction, edges, texture, detail, tonal transitions, photographic effects such as glare, blur or compression).
- Hedge: the score is a statistical signal from a model, not proof. Say what an expert might check next.
- Never claim anything a photograph cannot show: nothing about pigments or paint chemistry, canvas, support or ground, age, materials, or provenance. Do not say whether the attributed artist did or did not paint it.
- Say how to read the score, in the evidence's own numbers: the operating point (of the validation works scored most like this one, how many were forgeries), and any verdict the model cannot give at its error-rate targets. Do not invent error rates the evidence does not give.
- If the evidence says the score is not calibrated, say so and do not present it as a probability or a percentage chance of forgery.
- If the score comes from a demo model, say that the result is not meaningful for real artworks.
- If the evidence says the photograph is unlike the model's training images, say so first: the score is then an extrapolation and the verdict is inconclusive for that reason, whatever the score.
- If the capture check says the photograph is outside what the model was validated on, say so first, give its reasons with what to do (photograph again in focus, upload the original file...), and say the verdict is inconclusive for that reason, whatever the score. Never read such a score as pointing either way.
- If glare, blur, framing or low resolution may have affected the patches, say so."""


@dataclass(frozen=True)
class PatchEvidence:
    label: str  # S1..S3 most suspicious, L1..L3 least
    x: int
    y: int
    w: int
    h: int
    scale: float
    p: float
    location: str
    crop_jpeg: bytes = field(repr=False, default=b"")
    # {"authentic": [ref], "forged": [ref]}, ref = {"label", "sublabel", "similarity", ...}, most
    # similar first (training.ml.reference_index); None when the model has no reference index.
    references: dict | None = None


@dataclass(frozen=True)
class Evidence:
    score: float  # 0..1
    forgery_score: int  # 0..100
    verdict: str
    image_jpeg: bytes = field(repr=False)
    image_width: int
    image_height: int
    most_suspicious: list[PatchEvidence]
    least_suspicious: list[PatchEvidence]
    attributed_artist: str = ""
    title: str = ""
    model_version: str = ""
    is_demo: bool = False
    thresholds: dict | None = None
    familiarity: dict | None = None  # {"distance", "threshold", "unfamiliar"}
    basis: dict | None = None  # training.serving's PatchScores.basis
    references_note: str = ""  # why no region has reference passages; "" when they have
    capture: dict | None = None  # training.serving.capture_assess of the uploaded file
    patch_probabilities: list[float] = field(default_factory=list)  # every patch's score (the heatmap's)
    knowledge: list[dict] = field(default_factory=list)  # retrieved passages, K1.. (detection.knowledge)

    @property
    def unfamiliar(self) -> bool:
        return bool(self.familiarity and self.familiarity.get("unfamiliar"))

    @property
    def capture_outside(self) -> bool:
        return bool(self.capture and self.capture.get("outside"))

    @property
    def capture_reasons(self) -> list[str]:
        return [str(reason) for reason in (self.capture or {}).get("reasons") or []]

    @property
    def reading(self) -> Reading:
        return reading_from(thresholds=self.thresholds, basis=self.basis, unfamiliar=self.unfamiliar,
                            capture_outside=self.capture_outside)


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


@dataclass(frozen=True)
class Explanation:
    text: str  # the sections joined under their titles (the seed's `explanation` attribute)
    source: str  # SOURCE_CLAUDE or SOURCE_LOCAL
    error: str = ""  # why Claude was not used, for logs and tests; never shown as the explanation
    sections: dict = field(default_factory=dict)  # {key: text} for each key of SECTIONS
    cited: list[str] = field(default_factory=list)  # knowledge passages the context section cites


def sections_text(sections: dict) -> str:
    return "\n\n".join(f"{title}\n{sections[key]}" for key, title in SECTIONS if sections.get(key))


def section_list(sections) -> list[dict]:
    """[{"key", "title", "text"}] in reading order, from a stored map or a dict ([] when none)."""
    sections = sections.as_dict() if hasattr(sections, "as_dict") else (sections or {})
    return [{"key": key, "title": title, "text": sections[key]} for key, title in SECTIONS if sections.get(key)]


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


def local_explanation(evidence: Evidence) -> str:
    """The local sections as one text, under their titles."""
    return sections_text(local_sections(evidence))


def http_client():
    """The HTTP client the SDK uses; None lets the SDK build its own. Tests replace this seam."""
    return None


def _b64(data: bytes) -> str:
    return base64.standard_b64encode(data).decode("ascii")


def _image_block(jpeg: bytes) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": _b64(jpeg)}}


def _reference_words(ref: dict) -> str:
    return f"{reference_kind(ref)} {ref['similarity']:.2f}"


def _patch_line(patch: PatchEvidence) -> str:
    line = (
        f"{patch.label}: {patch.location}, x={patch.x}, y={patch.y}, {patch.w}x{patch.h} px, "
        f"scale {patch.scale:g}, forgery probability {patch.p:.2f}"
    )
    if patch.references:
        sides = [", ".join(_reference_words(ref) for ref in patch.references.get(side) or []) for side in ("forged", "authentic")]
        line += f"; closest reference passages (cosine similarity): {'; '.join(side for side in sides if side) or 'none'}"
    return line


def build_messages(evidence: Evidence) -> list[dict]:
    reading = evidence.reading
    calibrated = reading.has_basis and not reading.calibration_note
    lines = [
        f"Forgery score: {evidence.forgery_score}/100 ({'probability' if calibrated else 'model output, not a calibrated probability:'} {evidence.score:.3f}).",
        f"Verdict: {evidence.verdict}.",
        f"Attributed artist: {evidence.attributed_artist or 'not given'}.",
        f"Title: {evidence.title or 'not given'}.",
        f"Image size analysed: {evidence.image_width}x{evidence.image_height} px (patch coordinates are in these pixels).",
        f"Model version: {evidence.model_version}{' (demo model trained on synthetic data)' if evidence.is_demo else ''}.",
    ]
    if reading.thresholds:
        lines.append(f"Verdict cut-offs on the 0-100 score: {reading.thresholds}")
    if reading.has_basis:
        lines.append(f"Operating point: {reading.operating_point or 'not available for this model.'}")
        lines += [f"Verdict policy: {line}" for line in reading.statements]
        lines.append(f"Calibration: NOT calibrated. {reading.calibration_note}" if reading.calibration_note
                     else "Calibration: the score is a probability calibrated on held-out (out-of-fold) validation works.")
    if evidence.familiarity:
        lines.append(
            "Familiarity: the patches' distance from the model's training patches is {distance:.2f} "
            "(unfamiliar above {threshold:.2f}, the 99th percentile for held-out training images): {verdict}.".format(
                distance=float(evidence.familiarity["distance"]), threshold=float(evidence.familiarity["threshold"]),
                verdict="UNLIKE the training images; the verdict is inconclusive for that reason" if evidence.unfamiliar else "like the training images",
            )
        )
    if evidence.capture and evidence.capture.get("checked"):
        if evidence.capture_outside:
            lines.append("Capture check: OUTSIDE what the model was validated on; the verdict is inconclusive for that reason. "
                         + " ".join(evidence.capture_reasons))
        else:
            lines.append("Capture check: within what the model was validated on (sharpness, compression, resolution).")
    if evidence.capture and evidence.capture.get("not_checked"):
        lines.append(f"Capture check, not made: {'; '.join(str(line) for line in evidence.capture['not_checked'])}.")
    if evidence.references_note:
        lines.append(f"Reference passages: {evidence.references_note}")
    lines.append("Most suspicious patches:")
    lines += [_patch_line(p) for p in evidence.most_suspicious]
    lines.append("Least suspicious patches:")
    lines += [_patch_line(p) for p in evidence.least_suspicious]
    content: list[dict] = [
        {"type": "text", "text": "The photograph:"},
        _image_block(evidence.image_jpeg),
        {"type": "text", "text": "\n".join(lines)},
    ]
    for patch in [*evidence.most_suspicious, *evidence.least_suspicious]:
        if patch.crop_jpeg:
            content.append({"type": "text", "text": f"Crop of {patch.label}:"})
            content.append(_image_block(patch.crop_jpeg))
    content.append({"type": "text", "text": f"Explain the verdict from this evidence by calling {TOOL_NAME}."})
    return [{"role": "user", "content": content}]


def claude_explanation(evidence: Evidence) -> dict:
    """Ask Claude for the four sections; raises on any failure (the caller falls back)."""
    import anthropic

    client = anthropic.Anthropic(
        api_key=settings.ANTHROPIC_API_KEY,
        timeout=settings.ANTHROPIC_TIMEOUT_SECONDS,
        max_retries=settings.ANTHROPIC_MAX_RETRIES,
        http_client=http_client(),
    )
    message = client.messages.create(
        model=settings.ANTHROPIC_MODEL,
        max_tokens=settings.ANTHROPIC_MAX_TOKENS,
        system=SYSTEM_PROMPT,
        messages=build_messages(evidence),
        tools=[EXPLANATION_TOOL],
        tool_choice={"type": "tool", "name": TOOL_NAME},
    )
    calls = [block for block in message.content if getattr(block, "type", "") == "tool_use" and getattr(block, "name", "") == TOOL_NAME]
    if not calls:
        raise ValueError(f"Claude did not call {TOOL_NAME} (stop_reason={getattr(message, 'stop_reason', None)})")
    answer = calls[0].input if isinstance(calls[0].input, dict) else {}
    sections = {}
    for key, _ in TOOL_SECTIONS:
        value = answer.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"Claude's {TOOL_NAME} call has no {key!r} section")
        sections[key] = value.strip()[:MAX_SECTION_CHARS]
    return sections


def explain(evidence: Evidence) -> Explanation:
    """The verdict's explanation, then (with knowledge-base passages) the documents' context,
    written after and apart from it, so no document can change what the figures say."""
    explanation = _verdict_explanation(evidence)
    if not evidence.knowledge:
        return explanation
    from detection.knowledge_writer import CONTEXT_KEY, context_for

    context = context_for(evidence, evidence.knowledge)
    sections = {**explanation.sections, CONTEXT_KEY: context.text}
    return dataclasses.replace(explanation, text=sections_text(sections)[:MAX_EXPLANATION_CHARS], sections=sections, cited=context.cited)


def _verdict_explanation(evidence: Evidence) -> Explanation:
    """Claude's explanation when a key is set and the call succeeds; otherwise the local one."""
    if not settings.ANTHROPIC_API_KEY:
        return _local(evidence, "no ANTHROPIC_API_KEY")
    try:
        sections = claude_explanation(evidence)
    except Exception as error:  # any SDK, network, timeout or content failure: the result still completes
        logger.warning("Claude explanation failed, using the local one: %s: %s", type(error).__name__, error)
        return _local(evidence, f"{type(error).__name__}: {error}")
    wrong = contradictions(sections, evidence)
    if wrong:  # words that contradict the figures beside them are worse than plainer words
        logger.warning("Claude's explanation contradicts the figures, using the local one: %s", "; ".join(wrong))
        return _local(evidence, "contradicts the figures: " + "; ".join(wrong))
    return Explanation(text=sections_text(sections)[:MAX_EXPLANATION_CHARS], source=SOURCE_CLAUDE, sections=sections)


_SCORE_PATTERN = re.compile(r"\b(\d{1,3})\s*(?:/\s*100|out of 100)\b")
_CAPTURE_WORDS = ("validated", "photograph it again", "original file", "in focus", "capture", "re-photograph")
_VERDICT_PHRASES = {"LIKELY_AUTHENTIC": "likely authentic", "LIKELY_FORGED": "likely forged"}


def contradictions(sections: dict, evidence: Evidence) -> list[str]:
    """What in an explanation contradicts the figures it explains (empty when nothing does): the
    verdict section must name the verdict and no other, any "N out of 100" must be the score,
    suspicion may be called concentrated only when spread_sentence says so, and a photograph
    outside the capture check must be said to be."""
    wrong = []
    verdict_text = (sections.get("verdict") or "").lower()
    if _verdict_words(evidence.verdict) not in verdict_text:
        wrong.append(f"the verdict section does not say {_verdict_words(evidence.verdict)!r}")
    for verdict, phrase in _VERDICT_PHRASES.items():
        if verdict != evidence.verdict and phrase in verdict_text:
            wrong.append(f"the verdict section says {phrase!r}")
    text = " ".join(str(value) for value in sections.values())
    for number in _SCORE_PATTERN.findall(text):
        if int(number) != evidence.forgery_score:
            wrong.append(f"it gives a score of {number}, not {evidence.forgery_score}")
    spread = spread_sentence(evidence.patch_probabilities)
    if spread and "concentrated" in text.lower() and "concentrated" not in spread:
        wrong.append("it calls suspicion concentrated where the patch scores are not")
    if evidence.capture_outside and not any(word in text.lower() for word in _CAPTURE_WORDS):
        wrong.append("it does not say the photograph is outside what the model was validated on")
    return wrong


def _local(evidence: Evidence, error: str) -> Explanation:
    sections = local_sections(evidence)
    return Explanation(text=sections_text(sections), source=SOURCE_LOCAL, error=error, sections=sections)
