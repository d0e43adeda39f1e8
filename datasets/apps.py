from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"

    def ready(self):
        from artguard.dynamo import table_models_register
        from datasets.tables import ImageRecord, PatchRecord

        table_models_register(ImageRecord, PatchRecord)
