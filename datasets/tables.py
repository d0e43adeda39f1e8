"""ImageRecords and PatchRecords tables (seed 000, tables 3 and 4)."""
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from artguard.dynamo import table_meta


class LabelSplitIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "LabelSplitIndex"
        projection = AllProjection()

    label = UnicodeAttribute(hash_key=True)
    split = UnicodeAttribute(range_key=True)


class ImageRecord(Model):
    """One training image. Seed attributes: image_id, image_name, image_path, image_width,
    image_height, label, sublabel, split, attributed_creator, actual_creator.

    Additions (docs/data-model.md, docs/datasets.md): dataset_name, content_hash, processed_path,
    status ("uploaded" | "processed" | "failed"; "pending" | "ready" on version items), created_at,
    status_reason (why preprocessing failed), patch_count (patches written for the image),
    image_count (images in a dataset-version item).

    Dataset versions live in this table too: image_id "dataset-version#<name>", label
    "_dataset_version", split "_version" (listed through LabelSplitIndex; see docs/datasets.md).
    So do artists (docs/artists.md): image_id "artist#<slug>", label and split "_artist",
    image_name the canonical name, plus aliases, serving (the model that serves the artist, set
    by training's promotion) and serving_history (promotions and withdrawals).
    And the per-dataset image counters (datasets/stats.py): image_id "dataset-stats#<0-7>", no
    label or split (outside every index), one number attribute per dataset|facet|value, written
    with the low-level client because their names are data.
    The knowledge base (docs/knowledge.md, datasets/knowledge/records.py) adds one attribute,
    `knowledge` (a map), and three kinds of item: documents (image_id "knowledge-doc#<id>",
    label "_knowledge#<artist slug>", split "doc#<id>", image_name the title, status "active" or
    "withdrawn"), content-hash guards against duplicates (image_id
    "knowledge-hash#<slug>#<sha256>") and citations by results (image_id
    "knowledge-cite#<doc id>#<inference id>", label "_knowledge_cited#<doc id>", split the
    zero-padded time); on an artist item `knowledge` points at its current index.
    """

    Meta = table_meta("image-records")

    image_id = UnicodeAttribute(hash_key=True)
    image_name = UnicodeAttribute(null=True)
    image_path = UnicodeAttribute(null=True)
    image_width = NumberAttribute(null=True)
    image_height = NumberAttribute(null=True)
    label = UnicodeAttribute()
    sublabel = UnicodeAttribute(null=True)
    split = UnicodeAttribute()
    attributed_creator = UnicodeAttribute(null=True)
    actual_creator = UnicodeAttribute(null=True)

    dataset_name = UnicodeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    processed_path = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    status_reason = UnicodeAttribute(null=True)
    patch_count = NumberAttribute(null=True)
    image_count = NumberAttribute(null=True)
    aliases = ListAttribute(of=UnicodeAttribute, null=True)
    serving = MapAttribute(null=True)
    serving_history = ListAttribute(of=MapAttribute, null=True)
    knowledge = MapAttribute(null=True)

    label_split_index = LabelSplitIndex()


class ImagePatchesIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "ImagePatchesIndex"
        projection = AllProjection()

    image_id = UnicodeAttribute(hash_key=True)
    patch_type = UnicodeAttribute(range_key=True)


class PatchRecord(Model):
    """One patch of a training image. Seed attributes: patch_id, patch_path, image_id,
    patch_type, patch_x, patch_y, patch_width, patch_height.

    Additions (docs/data-model.md): patch_scale (1.0 = full resolution grid).
    """

    Meta = table_meta("patch-records")

    patch_id = UnicodeAttribute(hash_key=True)
    patch_path = UnicodeAttribute(null=True)
    image_id = UnicodeAttribute()
    patch_type = UnicodeAttribute()
    patch_x = NumberAttribute()
    patch_y = NumberAttribute()
    patch_width = NumberAttribute()
    patch_height = NumberAttribute()
    patch_scale = NumberAttribute(null=True)

    image_patches_index = ImagePatchesIndex()
