"""InferenceRecords table (seed 000, table 2)."""
from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute,
                                 UnicodeSetAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from artguard.dynamo import table_meta


class UserInferencesIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "UserInferencesIndex"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class InferenceRecord(Model):
    """One detection. Seed attributes: inference_id, user_id, created_at (ms), image_name,
    image_path, score (0.0-1.0), explanation, ttl (90 days).

    Additions (docs/data-model.md): status (PENDING, PROCESSING, COMPLETED, FAILED),
    verdict, forgery_score (0-100), failure_reason, attributed_artist, title, model_version,
    explanation_source (claude or local), processed_path, heatmap_path, thumbnail_path,
    patch_scores (list of {x, y, w, h, scale, p}), steps (list of {name, seconds}), content_type,
    size_bytes, idempotency_key, updated_at.

    Detection additions (docs/detection.md): display_path (display.jpg, ~1280 px),
    model_is_demo (the scoring model was the bootstrap demo model), thresholds (the
    {authentic_below, forged_above} the verdict was cut with; a side is null when the model
    never gives that verdict), familiarity ({distance, threshold, unfamiliar}: how far the
    patches lie from the model's training patches, training.ml.familiarity; absent for models
    without a reference), verdict_basis (how to read the score, training.serving's
    PatchScores.basis: {calibrated, calibration_note, operating_point, statements, targets};
    absent on records made before it existed; detection.reading turns it into sentences).
    Per-artist models (docs/artists.md): artist (the slug of the served artist the attribution
    named; attributed_artist then holds its canonical name). model_version is pinned when the
    record is submitted, so the record is scored by that model even if the artist's model
    changes while it waits.
    Reference passages (docs/detection.md): explanation_sections ({verdict, evidence,
    confidence, cannot_show}: the explanation in sections, detection.explain.SECTIONS;
    `explanation` holds the same text joined), references (the cited regions' closest training
    patches, detection.references: {status, run_id, regions: {S1: {p, box, authentic: [...],
    forged: [...]}}}); both absent on older records.
    Capture check (docs/detection.md, issue 26): capture (training.serving.capture_assess of the
    uploaded file: {checked, outside, reasons, checks, not_checked, stats}; "outside" made the
    verdict INCONCLUSIVE, "reasons" say what to do; absent on older records).
    Knowledge base (docs/knowledge.md, issue 31): knowledge ({status, query, index_id,
    passages: [{key, doc_id, version, title, author, year, citation, licence, page, position,
    text, score}]}: the passages of staff documents the explanation cites, as they were).

    Share and verify (docs/verification.md, issue 27): image_sha256 (SHA-256 of the uploaded
    file, written at submit; older records get it from the stored original when first signed),
    verification_code (the code printed on the record's reports and share page; only its owner
    reads the record). Two more kinds of item, keyed so that no record id (32 hex digits) and no
    account id can collide with them, and never in anyone's history:
    - share link: `inference_id = "share#<SHA-256 of the link's token>"` (the token itself is never
      stored; opening a link is one GetItem), `user_id = "share#<owner's id>"` (listing the owner's
      links is one UserInferencesIndex Query), `created_at`, `ttl` (the link's expiry), and `share`
      ({of: inference id, expires_at, revoked_at, include_original});
    - verification item: `inference_id = "verify#<SHA-256 of the code>"` (a check is one GetItem
      whatever the code), `user_id = "verify#<owner's id>"`, `created_at` (issued), `ttl` (the
      record's), `verification` ({of, statement: the signed facts, revoked_at}) and report_sha256
      (the SHA-256 of every PDF issued with this code).
    A withdrawn code keeps its item (revoked_at set) and the record gets a new code on next use.
    Deleting the record deletes both kinds; erasing the user deletes both partitions.

    Pending markers: while a record is PENDING or PROCESSING, a second item
    `inference_id = "pending#<inference_id>"`, `user_id = "#pending"`, `created_at` = the
    record's, exists. The stuck-record sweep queries UserInferencesIndex on the "#pending"
    partition by created_at, so it never scans. No account can have the id "#pending"
    (ids are uuid4 hex), so markers never appear in anyone's history.
    """

    Meta = table_meta("inference-records")

    inference_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    created_at = NumberAttribute()
    image_name = UnicodeAttribute(null=True)
    image_path = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    explanation = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)

    status = UnicodeAttribute(default="PENDING")
    verdict = UnicodeAttribute(null=True)
    forgery_score = NumberAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    attributed_artist = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    model_version = UnicodeAttribute(null=True)
    explanation_source = UnicodeAttribute(null=True)
    processed_path = UnicodeAttribute(null=True)
    heatmap_path = UnicodeAttribute(null=True)
    thumbnail_path = UnicodeAttribute(null=True)
    patch_scores = ListAttribute(of=MapAttribute, null=True)
    steps = ListAttribute(of=MapAttribute, null=True)
    content_type = UnicodeAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    idempotency_key = UnicodeAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    display_path = UnicodeAttribute(null=True)
    model_is_demo = BooleanAttribute(null=True)
    thresholds = MapAttribute(null=True)
    familiarity = MapAttribute(null=True)
    verdict_basis = MapAttribute(null=True)
    artist = UnicodeAttribute(null=True)
    explanation_sections = MapAttribute(null=True)
    references = MapAttribute(null=True)
    capture = MapAttribute(null=True)
    knowledge = MapAttribute(null=True)
    image_sha256 = UnicodeAttribute(null=True)
    verification_code = UnicodeAttribute(null=True)
    share = MapAttribute(null=True)
    verification = MapAttribute(null=True)
    report_sha256 = UnicodeSetAttribute(null=True)

    user_inferences_index = UserInferencesIndex()
