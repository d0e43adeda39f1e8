"""Users never see Django's debug pages: DEBUG is off unless a developer sets DJANGO_DEBUG, and
404 and 500 answer with ArtGuard's own pages (issue 17)."""
import pytest
from django.test import Client
from django.urls import path

from tests.artguard.settings_process import settings_value


def _boom(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_debug_is_off_unless_a_developer_asks(env, tmp_path):
    extra = {"DJANGO_SECRET_KEY": "k" * 50} if env == "prod" else {}
    assert settings_value("settings.DEBUG", ARTGUARD_ENV=env, ARTGUARD_DATA_DIR=str(tmp_path), **extra) == "(False,)"
    assert settings_value("settings.DEBUG", ARTGUARD_ENV=env, ARTGUARD_DATA_DIR=str(tmp_path), DJANGO_DEBUG="1", **extra) == "(True,)"


def test_a_missing_page_is_friendly_and_lists_no_url_patterns(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="not-found"' in page and "Page not found" in page
    assert "URLconf" not in page and "api/schema" not in page


@pytest.mark.urls(__name__)
def test_a_server_error_is_friendly_and_hides_the_exception():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'id="server-error"' in page and "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page
