"""A client nobody here wrote: the official Ory Python SDK drives the Hydra emulator.

``ory_hydra_client`` is generated from Hydra's OpenAPI document, so if its models parse our
responses and its calls succeed, the emulator speaks the API as Ory publishes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from ory_hydra_client import ApiClient, Configuration
from ory_hydra_client.api.o_auth2_api import OAuth2Api
from ory_hydra_client.exceptions import NotFoundException
from ory_hydra_client.models import JsonPatch, OAuth2Client

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.hydra import HydraEmulator


@pytest.fixture
def api() -> Iterator[tuple[OAuth2Api, HydraEmulator]]:
    emu = HydraEmulator()
    admin, public = emu.servers()
    with ServerThread(admin, public), ApiClient(Configuration(host=admin.url)) as client:
        yield OAuth2Api(client), emu


def next_token(link: str | None) -> str | None:
    for part in (link or "").split(","):
        url, _, rel = part.partition(";")
        if rel.strip() == 'rel="next"':
            return parse_qs(urlsplit(url.strip()[1:-1]).query)["page_token"][0]
    return None


def test_official_sdk_full_lifecycle(api: tuple[OAuth2Api, HydraEmulator]) -> None:
    oauth, emu = api
    created = [oauth.create_o_auth2_client(OAuth2Client(client_id=f"sdk-{i:02d}", client_name=f"app {i}",
                                                        grant_types=["client_credentials"], scope="read",
                                                        metadata={"managed-by": "reconcile"}))
               for i in range(7)]
    assert all(c.client_secret and len(c.client_secret) == 26 for c in created)

    seen: list[str] = []
    token: str | None = None
    while True:
        page = oauth.list_o_auth2_clients_with_http_info(page_size=3, page_token=token)
        assert page.headers is not None and page.headers["X-Total-Count"] == "7"
        seen += [c.client_id for c in page.data if c.client_id]
        if len(page.data) < 3:
            break
        token = next_token(page.headers.get("Link"))
        assert token is not None
    assert seen == [f"sdk-{i:02d}" for i in range(7)]

    got = oauth.get_o_auth2_client("sdk-03")
    assert got.client_name == "app 3" and got.client_secret is None and got.metadata == {"managed-by": "reconcile"}

    updated = oauth.set_o_auth2_client("sdk-03", OAuth2Client(client_name="renamed", client_secret="rotated-secret",
                                                               grant_types=["client_credentials"]))
    assert updated.client_name == "renamed" and updated.client_secret == "rotated-secret"
    assert updated.metadata == {}
    assert emu.check_secret("sdk-03", "rotated-secret")

    patched = oauth.patch_o_auth2_client("sdk-03", [JsonPatch(op="replace", path="/owner", value="team-a")])
    assert patched.owner == "team-a" and patched.client_name == "renamed"

    oauth.delete_o_auth2_client("sdk-03")
    with pytest.raises(NotFoundException):
        oauth.get_o_auth2_client("sdk-03")
    assert len(oauth.list_o_auth2_clients(page_size=1000)) == 6
