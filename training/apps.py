from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from artguard.dynamo import table_models_register
        from training.tables import ConfigRecord, RunRecord

        table_models_register(RunRecord, ConfigRecord)
