"""A real OpenID Connect provider on loopback (oidc-provider-mock), and the portal pointed at it.

Imported by tests/sso/conftest.py and the browser journeys. The provider signs in whoever is typed
in its form (the subject, `sub`); `provider_user` gives a subject the claims it will vouch for.
"""

import os
import warnings
from datetime import timedelta

import pytest
import requests

CLIENT_ID = "case-quality-portal"
CLIENT_SECRET = "provider-test-secret"
SSO_BACKENDS = ["quality.sso.PasswordBackend", "quality.sso.CouncilAccountBackend"]


class Provider:
    def __init__(self, server):
        self.url = f"http://localhost:{server.server_port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def user(self, sub: str, **claims) -> str:
        """Tell the provider what it says about `sub` once they sign in there."""
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()
        return sub


def _start(**options):
    with warnings.catch_warnings():
        # It uses authlib's older API, and authlib turns its own deprecation warnings "always" on at
        # import: this filter goes in front of that one, and both go when the block ends.
        import authlib.deprecate  # noqa: F401

        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    # The provider speaks plain HTTP on loopback; authlib refuses that unless told it is a test.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    return oidc_provider_mock.run_server_in_thread(require_nonce=True, **options)


@pytest.fixture(scope="session")
def oidc_provider():
    with _start() as server:
        yield Provider(server)


@pytest.fixture(scope="session")
def expiring_provider():
    """A provider whose ID tokens have expired two minutes before they are issued."""
    with _start(access_token_max_age=timedelta(minutes=-2)) as server:
        yield Provider(server)


def point_portal_at(settings, provider: Provider, **more) -> Provider:
    settings.OIDC_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.SSO_CONFIGURED = True
    settings.AUTHENTICATION_BACKENDS = SSO_BACKENDS
    for name, value in more.items():
        setattr(settings, name, value)
    return provider


@pytest.fixture
def sso(settings, oidc_provider):
    """The portal with single sign-on set up against the loopback provider."""
    return point_portal_at(settings, oidc_provider)
