"""RunRecords and ConfigRecords tables (seed 000, tables 5 and 6)."""
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from artguard.dynamo import table_meta


class StatusIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "StatusIndex"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class DatasetVersionIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "DatasetVersionIndex"
        projection = AllProjection()

    dataset_version = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class RunRecord(Model):
    """One nested cross-validation run. Seed attributes as in seed 000 table 5.

    Additions (docs/data-model.md): error, progress, heartbeat_at, updated_at, finished_at,
    model_version, metrics_detail (per-fold and per-sublabel metrics, calibration,
    thresholds), hyperparameter_grid, started_by.
    Added by training (docs/training.md): backbone (the run's frozen feature extractor),
    is_demo (the quick demo model), promoted_at / promoted_by (when and by whom this run's
    model was last promoted to serve detection; kept as history after a later promotion),
    promotion_reason / promotion_concerns (why staff promoted it despite the concerns listed), verdict_targets
    (the verdict policy's error-rate targets, training.ml.policy).
    Added by per-artist training (docs/artists.md): artist (the slug of the artist the run is
    for), artist_name (its canonical name when the run was made), proxy_negatives (authentic
    works of other artists in the version joined as forged, sublabel "proxy").
    Added by reference passages (docs/training.md): reference_thumbnails (whether users may see
    thumbnails of this model's training patches as reference passages; null = the default,
    shown for demo runs only).
    """

    Meta = table_meta("run-records")

    run_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute()
    status = UnicodeAttribute()
    dataset_version = UnicodeAttribute()
    modal_volume_path = UnicodeAttribute(null=True)
    best_config_id = UnicodeAttribute(null=True)
    k_folds = NumberAttribute(default=5)
    stratify_on = UnicodeAttribute(default="sublabel")
    outer_split_seed = NumberAttribute()
    inner_split_seed = NumberAttribute()
    mean_accuracy = NumberAttribute(null=True)
    mean_auc = NumberAttribute(null=True)
    mean_f1 = NumberAttribute(null=True)
    mean_precision = NumberAttribute(null=True)
    mean_recall = NumberAttribute(null=True)
    std_accuracy = NumberAttribute(null=True)
    std_auc = NumberAttribute(null=True)
    std_f1 = NumberAttribute(null=True)
    std_precision = NumberAttribute(null=True)
    std_recall = NumberAttribute(null=True)

    error = UnicodeAttribute(null=True)
    progress = UnicodeAttribute(null=True)
    heartbeat_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    finished_at = NumberAttribute(null=True)
    model_version = UnicodeAttribute(null=True)
    metrics_detail = MapAttribute(null=True)
    hyperparameter_grid = MapAttribute(null=True)
    started_by = UnicodeAttribute(null=True)
    backbone = UnicodeAttribute(null=True)
    is_demo = BooleanAttribute(null=True)
    promoted_at = NumberAttribute(null=True)
    promoted_by = UnicodeAttribute(null=True)
    promotion_reason = UnicodeAttribute(null=True)
    promotion_concerns = ListAttribute(of=UnicodeAttribute, null=True)
    verdict_targets = MapAttribute(null=True)
    artist = UnicodeAttribute(null=True)
    artist_name = UnicodeAttribute(null=True)
    proxy_negatives = BooleanAttribute(null=True)
    reference_thumbnails = BooleanAttribute(null=True)

    status_index = StatusIndex()
    dataset_version_index = DatasetVersionIndex()


class RunConfigsIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "RunConfigsIndex"
        projection = AllProjection()

    run_id = UnicodeAttribute(hash_key=True)
    fold_id = NumberAttribute(range_key=True)


class ConfigRecord(Model):
    """One hyperparameter configuration in one outer fold. Seed attributes as in seed 000
    table 6.

    Additions (docs/data-model.md): fold_metrics (outer-fold test metrics of the best config),
    inner_metrics. The final model, trained with the best configuration on the whole dataset
    version, is a ConfigRecord with fold_id = -1; RunRecord.best_config_id points at it.
    """

    Meta = table_meta("config-records")

    config_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute()
    run_id = UnicodeAttribute()
    dataset_version = UnicodeAttribute()
    fold_id = NumberAttribute()
    hyperparameters = MapAttribute()
    best_epoch = NumberAttribute(null=True)
    best_val = NumberAttribute(null=True)
    early_stopped = BooleanAttribute(default=False)
    is_best_in_fold = BooleanAttribute(default=False)
    modal_volume_path = UnicodeAttribute(null=True)

    fold_metrics = MapAttribute(null=True)
    inner_metrics = MapAttribute(null=True)

    run_configs_index = RunConfigsIndex()
