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
so its answer is structured, not parsed out of prose. The local writer is
detection/local_writer.py; its names are re-exported here.
"""
from __future__ import annotations

import base64
import dataclasses
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings

from detection.local_writer import (  # noqa: F401  (re-exported: callers name detection.explain.X)
    CAPTURE_STATEMENT,
    DEMO_STATEMENT,
    LIMITS_STATEMENT,
    PROXY_SUBLABEL,
    UNFAMILIAR_STATEMENT,
    _verdict_words,
    local_sections,
    location_name,
    reference_kind,
    reference_sentence,
    spread_sentence,
)
from detection.reading import Reading, reading_from

logger = logging.getLogger(__name__)

SOURCE_CLAUDE = "claude"
SOURCE_LOCAL = "local"
MAX_EXPLANATION_CHARS = 8000

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
