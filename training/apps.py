from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from artguard.dynamo import table_models_register
        from artguard.health import register_check
        from training.readiness import promoted_model_check
        from training.tables import ConfigRecord, RunRecord

        table_models_register(RunRecord, ConfigRecord)
        register_check("model", promoted_model_check)
