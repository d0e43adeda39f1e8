import uuid

from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Failure, OrmQ


def test_admin_for_staff_only(client, db, user, staff_user):
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(staff_user, backend="accounts.backends.DynamoUserBackend")
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200 and b"Background tasks" in page.content or b"Django Q" in page.content


def test_staff_browses_and_resubmits_failed_tasks(staff_client, db, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue to the ORM broker as production does
    now = timezone.now()
    failure = Failure.objects.create(
        id=uuid.uuid4().hex, name="sqrt-of-minus-one", func="math.sqrt", args=(-1,), kwargs={},
        started=now, stopped=now, success=False, result="math domain error", attempt_count=1,
    )
    listing = staff_client.get(reverse("admin:django_q_failure_changelist"))
    assert listing.status_code == 200 and b"sqrt" in listing.content
    response = staff_client.post(
        reverse("admin:django_q_failure_changelist"),
        {"action": "resubmit_task", "_selected_action": [failure.pk]},
    )
    assert response.status_code == 302
    assert OrmQ.objects.count() == 1  # back on the queue for a worker
