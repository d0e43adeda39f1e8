import logging

from django.apps import AppConfig

audit_log = logging.getLogger("artguard.admin.audit")


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.contrib.admin.models import LogEntryManager

        from accounts import checks  # noqa: F401  (registers the erasure-coverage check)
        from accounts.tables import UserRecord
        from artguard.dynamo import table_models_register

        table_models_register(UserRecord)

        # The admin's history table keys entries to an ORM user row. Accounts live only in
        # DynamoDB, so admin actions go to the audit log instead of that table.
        def log_actions(manager, user_id, queryset, action_flag, change_message="", *, single_object=False):
            for obj in queryset:
                audit_log.info("admin action=%s user=%s object=%r change=%s", action_flag, user_id, obj, change_message)
            return None

        LogEntryManager.log_actions = log_actions
