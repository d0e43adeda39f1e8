"""The Anthropic seam: a fake transport stands in for the network."""
from __future__ import annotations

import base64
import json

import httpx2
import pytest

from detection import explain
from tests.detection.evidence import sample_evidence
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS


@pytest.fixture(autouse=True)
def dynamo_tables():
    """These tests touch no table: skip the shared moto set-up."""
    yield None


@pytest.fixture
def evidence():
    return sample_evidence()


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [(0, 0, "upper left"), (976, 0, "upper right"), (500, 400, "centre"), (0, 400, "middle left"), (500, 676, "lower centre")],
)
def test_location_names_follow_thirds_of_the_image(x, y, expected):
    assert explain.location_name(x=x, y=y, w=224, h=224, width=1200, height=900) == expected


def test_local_explanation_cites_patches_and_states_its_limits(evidence):
    text = explain.local_explanation(evidence)
    assert "81 out of 100" in text and "likely forged" in text
    assert "S1 in the upper left" in text and "L1 in the lower left" in text
    assert "Berthe Morisot" in text and "scored by the model trained for Berthe Morisot" in text and "cannot prove who made the work" in text
    assert "cannot assess pigments" in text
    assert "demo model" not in text


def test_local_explanation_flags_a_demo_model(evidence):
    from dataclasses import replace

    assert explain.local_sections(replace(evidence, is_demo=True))["verdict"].startswith(explain.DEMO_STATEMENT)  # first, not buried
    assert explain.DEMO_STATEMENT not in explain.local_explanation(evidence)


def test_an_unfamiliar_photograph_is_explained_as_such_not_as_a_verdict(evidence):
    from dataclasses import replace

    unfamiliar = replace(evidence, verdict="INCONCLUSIVE", familiarity={"distance": 4.6, "threshold": 2.1, "unfamiliar": True})
    text = explain.local_explanation(unfamiliar)
    assert "81 out of 100, but the verdict is inconclusive" in text and explain.UNFAMILIAR_STATEMENT in text
    assert "likely forged" not in text
    prompt = explain.build_messages(unfamiliar)[0]["content"][2]["text"]
    assert "distance from the model's training patches is 4.60 (unfamiliar above 2.10" in prompt and "UNLIKE the training images" in prompt

    familiar = replace(evidence, familiarity={"distance": 1.2, "threshold": 2.1, "unfamiliar": False})
    assert explain.UNFAMILIAR_STATEMENT not in explain.local_explanation(familiar)
    assert "like the training images." in explain.build_messages(familiar)[0]["content"][2]["text"]


def test_both_explanations_say_how_to_read_the_score_and_what_the_model_cannot_decide(evidence):
    from dataclasses import replace

    forged_only = replace(evidence, thresholds=FORGED_ONLY_THRESHOLDS, basis=FORGED_ONLY_BASIS)
    text = explain.local_explanation(forged_only)
    assert FORGED_ONLY_BASIS["operating_point"]["text"] in text
    assert "This model cannot call a work likely authentic at 5% risk" in text
    assert FORGED_ONLY_BASIS["calibration_note"] in text
    assert "Scores above 62 read as likely forged and all others as inconclusive" in text and "None" not in text

    prompt = explain.build_messages(forged_only)[0]["content"][2]["text"]
    assert f"Operating point: {FORGED_ONLY_BASIS['operating_point']['text']}" in prompt
    assert "Verdict policy: This model cannot call a work likely authentic at 5% risk" in prompt
    assert "Verdict policy: Likely forged above 62: on validation works, 1 of 30 authentic works (3%)" in prompt
    assert "Calibration: NOT calibrated. Scores are not calibrated" in prompt
    assert "not a calibrated probability" in prompt and "None" not in prompt
    assert "operating point" in explain.SYSTEM_PROMPT and "not calibrated" in explain.SYSTEM_PROMPT

    calibrated = replace(forged_only, basis={**FORGED_ONLY_BASIS, "calibrated": True, "calibration_note": ""})
    assert "Calibration: the score is a probability calibrated on held-out" in explain.build_messages(calibrated)[0]["content"][2]["text"]
    assert "not calibrated" not in explain.local_explanation(calibrated)


def test_without_a_key_the_local_explanation_is_used_and_nothing_is_sent(settings, evidence, monkeypatch):
    settings.ANTHROPIC_API_KEY = ""
    monkeypatch.setattr(explain, "http_client", lambda: pytest.fail("no request may be made without a key"))
    result = explain.explain(evidence)
    assert result.source == explain.SOURCE_LOCAL
    assert result.text == explain.local_explanation(evidence)


def _claude_answer(text):
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


CLAUDE_SECTIONS = {
    "verdict": "The model reads this work as likely forged, with a score of 81.",
    "evidence": "S1's brushwork is closer to two known forgeries than to any authentic passage.",
    "confidence": "Glare in the upper left may have moved the score.",
    "cannot_show": "A photograph cannot show pigments, canvas or provenance.",
}


def _claude_tool_answer(sections, name=explain.TOOL_NAME):
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": sections}],
        "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5},
    }


@pytest.fixture
def fake_anthropic(settings, monkeypatch):
    """Install a MockTransport at the SDK's seam; returns the list of captured requests and a
    setter for the handler."""
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    settings.ANTHROPIC_MODEL = "claude-test-model"
    settings.ANTHROPIC_MAX_RETRIES = 0
    settings.ANTHROPIC_TIMEOUT_SECONDS = 5
    state = {"requests": [], "handler": lambda request: httpx2.Response(200, json=_claude_tool_answer(CLAUDE_SECTIONS))}

    def transport_handler(request):
        state["requests"].append(request)
        return state["handler"](request)

    monkeypatch.setattr(explain, "http_client", lambda: httpx2.Client(transport=httpx2.MockTransport(transport_handler)))
    return state


def test_claude_request_carries_image_evidence_and_model(fake_anthropic, evidence):
    result = explain.explain(evidence)
    assert result.source == explain.SOURCE_CLAUDE and result.sections == CLAUDE_SECTIONS and not result.error
    assert result.text.startswith("The verdict\nThe model reads this work as likely forged") and "The evidence\nS1's brushwork" in result.text
    (request,) = fake_anthropic["requests"]
    assert request.url.path == "/v1/messages"
    assert "sk-ant-test" in (request.headers.get("x-api-key", "") + request.headers.get("authorization", ""))
    body = json.loads(request.content)
    assert body["model"] == "claude-test-model"
    assert body["max_tokens"] > 0
    # Structured output: one tool whose schema requires the four sections, and Claude must call it.
    assert body["tool_choice"] == {"type": "tool", "name": explain.TOOL_NAME}
    (tool,) = body["tools"]
    assert tool["name"] == explain.TOOL_NAME and tool["input_schema"]["required"] == ["verdict", "evidence", "confidence", "cannot_show"]
    assert "pigment" in body["system"] and "provenance" in body["system"] and "Hedge" in body["system"]
    content = body["messages"][0]["content"]
    images = [block for block in content if block["type"] == "image"]
    # The photograph and six patch crops, as base64 JPEG blocks.
    assert len(images) == 7
    assert images[0]["source"]["media_type"] == "image/jpeg"
    assert base64.b64decode(images[0]["source"]["data"]) == evidence.image_jpeg
    text = "\n".join(block["text"] for block in content if block["type"] == "text")
    assert "Forgery score: 81/100" in text and "Verdict: LIKELY_FORGED" in text
    assert "Attributed artist: Berthe Morisot" in text and "Title: Harbour" in text
    assert "S1: upper left, x=0, y=0" in text and "forgery probability 0.97" in text
    assert "L1: lower left" in text and "L3: lower centre" in text


@pytest.mark.parametrize(
    "handler",
    [
        lambda request: httpx2.Response(500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}}),
        lambda request: httpx2.Response(401, json={"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}),
        lambda request: httpx2.Response(529, json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}),
        lambda request: (_ for _ in ()).throw(httpx2.ReadTimeout("timed out", request=request)),
        lambda request: (_ for _ in ()).throw(httpx2.ConnectError("no route", request=request)),
        lambda request: httpx2.Response(200, json=_claude_answer("")),
        lambda request: httpx2.Response(200, text="not json"),
        lambda request: httpx2.Response(200, json=_claude_answer("Plain prose instead of the tool call.")),
        lambda request: httpx2.Response(200, json=_claude_tool_answer({**CLAUDE_SECTIONS, "evidence": "  "})),
        lambda request: httpx2.Response(200, json=_claude_tool_answer({k: v for k, v in CLAUDE_SECTIONS.items() if k != "cannot_show"})),
        lambda request: httpx2.Response(200, json=_claude_tool_answer(CLAUDE_SECTIONS, name="another_tool")),
    ],
    ids=["server-error", "bad-key", "overloaded", "timeout", "connect-error", "empty-answer", "garbage",
         "prose-not-tool", "blank-section", "missing-section", "wrong-tool"],
)
def test_any_claude_failure_falls_back_to_the_local_explanation(fake_anthropic, evidence, handler):
    fake_anthropic["handler"] = handler
    result = explain.explain(evidence)
    assert result.source == explain.SOURCE_LOCAL
    assert result.text == explain.local_explanation(evidence)
    assert result.sections == explain.local_sections(evidence)
    assert result.error
    assert len(fake_anthropic["requests"]) == 1


def _ref(label, similarity, sublabel=None):
    return {"label": label, "sublabel": sublabel, "similarity": similarity, "image_id": "i", "patch_path": "p", "box": [0, 0, 1, 1]}


def test_local_explanation_reads_in_the_four_sections(evidence):
    sections = explain.local_sections(evidence)
    assert list(sections) == ["verdict", "evidence", "confidence", "cannot_show"]
    assert sections["verdict"] == "The model gives this photograph a forgery score of 81 out of 100, which it reads as likely forged."
    assert "S1 in the upper left" in sections["evidence"] and "Berthe Morisot" not in sections["evidence"]
    assert "Glare, blur" in sections["confidence"] and "cannot prove who made the work" in sections["confidence"]
    assert sections["cannot_show"] == explain.LIMITS_STATEMENT
    text = explain.local_explanation(evidence)
    assert [line for line in text.split("\n") if line in dict(explain.SECTIONS).values()] == [title for _, title in explain.TOOL_SECTIONS]


def test_regions_are_explained_by_their_reference_passages_in_both_writers(evidence):
    from dataclasses import replace

    s1 = replace(evidence.most_suspicious[0], references={
        "forged": [_ref("forged", 0.93, "copy"), _ref("forged", 0.91, "pastiche"), _ref("forged", 0.80)],
        "authentic": [_ref("authentic", 0.88), _ref("authentic", 0.7), _ref("authentic", 0.6)]})
    l1 = replace(evidence.least_suspicious[0], references={
        "forged": [_ref("forged", 0.5, "copy")], "authentic": [_ref("authentic", 0.9), _ref("authentic", 0.6)]})
    with_refs = replace(evidence, most_suspicious=[s1, *evidence.most_suspicious[1:]], least_suspicious=[l1, *evidence.least_suspicious[1:]])
    found = explain.local_sections(with_refs)["evidence"]
    assert "S1 is closer to two known forgeries (copy, pastiche) than to any authentic passage (similarity 0.93, against at best 0.88)." in found
    assert "L1 is closer to two authentic passages of the training works than to any known forgery (similarity 0.90, against at best 0.50)." in found
    proxy = {"forged": [_ref("forged", 0.95, "proxy"), _ref("forged", 0.9, "copy")], "authentic": [_ref("authentic", 0.85)]}
    assert explain.reference_sentence("S2", proxy).startswith("S2 is closer to two known forgeries or works by other artists (copy) than")
    assert explain.reference_kind(proxy["forged"][0]) == "another artist's work"
    prompt = explain.build_messages(with_refs)[0]["content"][2]["text"]
    assert "S1: upper left" in prompt and "closest reference passages (cosine similarity): known forgery (copy) 0.93, known forgery (pastiche) 0.91, known forgery 0.80; authentic 0.88, authentic 0.70, authentic 0.60" in prompt
    assert "S1's brushwork is closer to two known forgeries" in explain.SYSTEM_PROMPT


def test_a_model_without_reference_index_is_said_so_without_error(evidence):
    from dataclasses import replace

    note = "This model was trained before ArtGuard kept reference passages, so this result has none to show."
    without = replace(evidence, references_note=note)
    assert note in explain.local_sections(without)["evidence"]
    assert f"Reference passages: {note}" in explain.build_messages(without)[0]["content"][2]["text"]


# Each sentence the local writer makes from the figures, against figures built to make it false
# (issue 29: "concentrated" was printed on an all-red heatmap, a tie was written as "closer").

def test_suspicion_is_called_concentrated_only_when_a_few_patches_stand_out():
    all_red = [0.65, 0.84, 0.99, *[0.97] * 20, 1.0]
    assert "concentrated" not in explain.spread_sentence(all_red)
    assert explain.spread_sentence(all_red).startswith("Most of the picture scores high (patches from 65% to 100%, median 97%)")
    hotspot = [0.98, 0.95, *[0.2] * 20, 0.1]
    assert explain.spread_sentence(hotspot).startswith("Suspicion is concentrated in a few regions (patches from 10% to 98%, median 20%)")
    even = [0.4, 0.45, 0.5, 0.55]
    assert explain.spread_sentence(even).startswith("Patch scores are fairly even across the image (patches from 40% to 55%")
    assert explain.spread_sentence([]) == ""


def test_the_evidence_section_reads_the_spread_from_every_patch(evidence):
    from dataclasses import replace

    red = replace(evidence, patch_probabilities=[0.65, 0.84, 0.99, *[0.97] * 20, 1.0])
    assert "concentrated" not in explain.local_sections(red)["evidence"]


def test_a_tie_at_the_shown_decimals_is_never_written_as_closer():
    tie = {"forged": [_ref("forged", 0.921, "copy")], "authentic": [_ref("authentic", 0.918)]}
    sentence = explain.reference_sentence("S1", tie)
    assert "closer" not in sentence and "similarity 0.92 each" in sentence and "do not tell them apart" in sentence


def test_a_score_and_nearest_passages_that_disagree_are_said_to():
    authentic_near = {"forged": [_ref("forged", 0.7, "copy")], "authentic": [_ref("authentic", 0.9)]}
    assert "point different ways" in explain.reference_sentence("S1", authentic_near, 1.0)
    assert "point different ways" not in explain.reference_sentence("L1", authentic_near, 0.1)
    forged_near = {"forged": [_ref("forged", 0.9, "copy")], "authentic": [_ref("authentic", 0.7)]}
    assert "Yet it scores 10% suspicious" in explain.reference_sentence("L1", forged_near, 0.1)
    assert "point different ways" not in explain.reference_sentence("S1", forged_near, 0.95)


@pytest.mark.parametrize("sections, why", [
    ({**CLAUDE_SECTIONS, "verdict": "The model reads this work as likely authentic."}, "does not say 'likely forged'"),
    ({**CLAUDE_SECTIONS, "verdict": "Likely forged, though it could be likely authentic."}, "says 'likely authentic'"),
    ({**CLAUDE_SECTIONS, "evidence": "A score of 64 out of 100 for S1."}, "score of 64, not 81"),
    ({**CLAUDE_SECTIONS, "evidence": "Suspicion is concentrated in S1."}, "concentrated where the patch scores are not"),
])
def test_a_claude_explanation_that_contradicts_the_figures_is_replaced_by_the_local_one(fake_anthropic, evidence, sections, why):
    from dataclasses import replace

    fake_anthropic["handler"] = lambda request: httpx2.Response(200, json=_claude_tool_answer(sections))
    all_red = replace(evidence, patch_probabilities=[0.65, 0.84, 0.99, *[0.97] * 20, 1.0])
    assert any(why in line for line in explain.contradictions(sections, all_red))
    result = explain.explain(all_red)
    assert result.source == explain.SOURCE_LOCAL and why in result.error
    assert explain.contradictions(CLAUDE_SECTIONS, all_red) == []
