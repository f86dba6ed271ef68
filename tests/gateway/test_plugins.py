"""key-auth, basic-auth, proxy-rewrite, limit-count and the phase order in the sandbox gateway.

Expected answers are ``shared/spec/apisix-data-plane.md`` §2.4, §3 and §5 (checklist 34-36),
from apache/apisix's plugin sources and test files named per case.
"""

from __future__ import annotations

import base64
from typing import Any

from .conftest import Box, Echo


def upstream(node: Echo) -> dict[str, Any]:
    return {"type": "roundrobin", "nodes": {node.node: 1}}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_key_auth(box: Box, echoes: list[Echo]) -> None:
    """Checklist 34 ([A] ``key-auth.lua``, ``t/plugin/key-auth.t``), consumers and 3.11+ credentials."""
    box.put("/consumers", {"username": "alice", "labels": {"custom_id": "a-1"},
                           "plugins": {"key-auth": {"key": "alice-key"}}})
    box.put("/consumers", {"username": "bob"})
    box.put("/consumers/bob/credentials/bob-cred", {"plugins": {"key-auth": {"key": "bob-key"}}})
    box.put("/routes/r", {"uri": "/k", "plugins": {"key-auth": {}}, "upstream": upstream(echoes[0])})
    missing = box.get("/k")
    assert missing.status_code == 401
    assert missing.content == b'{"message":"Missing API key in request"}\n'
    assert missing.headers["www-authenticate"] == 'apikey realm="key"'
    wrong = box.get("/k", headers={"apikey": "nope"})
    assert wrong.status_code == 401 and wrong.json() == {"message": "Invalid API key in request"}
    alice = box.get("/k", headers={"apikey": "alice-key", "X-Credential-Identifier": "forged"}).json()["headers"]
    assert alice["x-consumer-username"] == "alice" and alice["x-consumer-custom-id"] == "a-1"
    assert "x-credential-identifier" not in alice
    assert alice["apikey"] == "alice-key"
    bob = box.get("/k?apikey=bob-key").json()["headers"]
    assert bob["x-consumer-username"] == "bob" and bob["x-credential-identifier"] == "bob-cred"


def test_key_auth_hide_credentials(box: Box, echoes: list[Echo]) -> None:
    """``hide_credentials`` removes the header or the query argument the key came from."""
    box.put("/consumers", {"username": "alice", "plugins": {"key-auth": {"key": "alice-key"}}})
    box.put("/routes/r", {"uri": "/k", "plugins": {"key-auth": {"hide_credentials": True}},
                          "upstream": upstream(echoes[0])})
    assert "apikey" not in box.get("/k", headers={"apikey": "alice-key"}).json()["headers"]
    assert box.get("/k?x=1&apikey=alice-key").json()["target"] == "/k?x=1"


def test_basic_auth(box: Box, echoes: list[Echo]) -> None:
    """Checklist 35 ([A] ``basic-auth.lua``): messages, realm, and the split at every ``:``."""
    box.put("/consumers", {"username": "carol", "plugins": {"basic-auth": {"username": "carol", "password": "pw"}}})
    box.put("/consumers", {"username": "dave", "plugins": {"basic-auth": {"username": "dave", "password": "a:b"}}})
    box.put("/routes/r", {"uri": "/b", "plugins": {"basic-auth": {}}, "upstream": upstream(echoes[0])})
    missing = box.get("/b")
    assert missing.status_code == 401 and missing.json() == {"message": "Missing authorization in request"}
    assert missing.headers["www-authenticate"] == 'Basic realm="basic"'
    assert box.get("/b", headers={"Authorization": "Bearer x"}).json() == \
        {"message": "Invalid authorization in request"}
    assert box.get("/b", headers={"Authorization": basic("carol", "no")}).json() == \
        {"message": "Invalid user authorization"}
    ok = box.get("/b", headers={"Authorization": basic("carol", "pw")})
    assert ok.status_code == 200 and ok.json()["headers"]["x-consumer-username"] == "carol"
    assert box.get("/b", headers={"Authorization": basic("dave", "a:b")}).status_code == 401


def test_limit_count(box: Box, echoes: list[Echo]) -> None:
    """Checklist 36 ([A] ``t/plugin/limit-count.t`` TEST 4): count 2 → 200, 200, 503, 503."""
    box.put("/routes/r", {"uri": "/l", "plugins": {"limit-count": {"count": 2, "time_window": 60}},
                          "upstream": upstream(echoes[0])})
    answers = [box.get("/l") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 503, 503]
    assert answers[0].headers["x-ratelimit-limit"] == "2"
    assert answers[0].headers["x-ratelimit-remaining"] == "1"
    assert answers[0].headers["x-ratelimit-reset"] == "60"
    assert float(answers[1].headers["x-ratelimit-reset"]) <= 60
    assert answers[2].headers["x-ratelimit-remaining"] == "0"
    assert answers[2].headers["content-type"].startswith("text/html")
    assert len(echoes[0].seen) == 2


def test_limit_count_rejected_code_and_message(box: Box, echoes: list[Echo]) -> None:
    """``rejected_code`` and ``rejected_msg`` (``{"error_msg": ...}`` plus a newline); a new config restarts."""
    conf = {"count": 1, "time_window": 60, "rejected_code": 429, "rejected_msg": "slow down"}
    box.put("/routes/r", {"uri": "/l", "plugins": {"limit-count": conf}, "upstream": upstream(echoes[0])})
    assert box.get("/l").status_code == 200
    rejected = box.get("/l")
    assert rejected.status_code == 429 and rejected.content == b'{"error_msg":"slow down"}\n'
    box.put("/routes/r", {"uri": "/l", "plugins": {"limit-count": {**conf, "count": 2}},
                          "upstream": upstream(echoes[0])})
    assert box.get("/l").status_code == 200


def test_limit_count_skips_requests_auth_refused(box: Box, echoes: list[Echo]) -> None:
    """§3: auth runs in rewrite, limit-count in access, so a refused request is never counted."""
    box.put("/consumers", {"username": "alice", "plugins": {"key-auth": {"key": "alice-key"}}})
    box.put("/routes/r", {"uri": "/l", "upstream": upstream(echoes[0]),
                          "plugins": {"limit-count": {"count": 1, "time_window": 60}, "key-auth": {}}})
    assert [box.get("/l").status_code for _ in range(3)] == [401, 401, 401]
    assert box.get("/l", headers={"apikey": "alice-key"}).status_code == 200


def test_consumer_plugins_join_the_route(box: Box, echoes: list[Echo]) -> None:
    """§1.5 ([A] ``plugin.lua: merge_consumer_route()``): the consumer's plugins run after auth."""
    box.put("/consumers", {"username": "alice", "plugins": {
        "key-auth": {"key": "alice-key"}, "limit-count": {"count": 1, "time_window": 60, "rejected_code": 429}}})
    box.put("/consumers", {"username": "bob", "plugins": {"key-auth": {"key": "bob-key"}}})
    box.put("/routes/r", {"uri": "/c", "plugins": {"key-auth": {}}, "upstream": upstream(echoes[0])})
    assert [box.get("/c", headers={"apikey": "alice-key"}).status_code for _ in range(2)] == [200, 429]
    assert [box.get("/c", headers={"apikey": "bob-key"}).status_code for _ in range(2)] == [200, 200]


def test_proxy_rewrite(box: Box, echoes: list[Echo]) -> None:
    """§2.4 ([A] ``proxy-rewrite.lua: rewrite()``): uri with $var and query, host, headers add/set/remove."""
    box.put("/routes/r", {"uri": "/old/*", "upstream": upstream(echoes[0]), "plugins": {"proxy-rewrite": {
        "uri": "/new/$arg_page", "host": "inner.test",
        "headers": {"add": {"X-Add": "$uri"}, "set": {"X-Set": "fixed"}, "remove": ["X-Drop"]}}}})
    seen = box.get("/old/x?page=7", headers={"X-Drop": "1", "X-Set": "client"}).json()
    assert seen["target"] == "/new/7?page=7"
    assert seen["headers"]["host"] == "inner.test"
    assert seen["headers"]["x-add"] == "/old/x"
    assert seen["headers"]["x-set"] == "fixed"
    assert "x-drop" not in seen["headers"]


def test_proxy_rewrite_regex_uri(box: Box, echoes: list[Echo]) -> None:
    """``regex_uri``: the first matching pair, ``$1`` captures; no match leaves the URI alone."""
    box.put("/routes/r", {"uri": "/api/*", "upstream": upstream(echoes[0]), "plugins": {"proxy-rewrite": {
        "regex_uri": ["^/api/v1/(.*)", "/v1-$1", "^/api/(.*)", "/other/$1"]}}})
    assert box.get("/api/v1/users").json()["target"] == "/v1-users"
    assert box.get("/api/x?q=1").json()["target"] == "/other/x?q=1"


def test_global_rule_runs_for_a_404(box: Box) -> None:
    """§1.5 ([A] ``plugin.lua: run_global_rules()``): global rules run for requests no route matches."""
    box.put("/global_rules/g", {"plugins": {"key-auth": {}}})
    assert box.get("/nothing").status_code == 401


def test_meta_disable_and_priority(box: Box, echoes: list[Echo]) -> None:
    """§3 ([A] ``plugin.lua: filter()``): ``_meta.disable`` skips; ``_meta.priority`` re-sorts."""
    box.put("/consumers", {"username": "carol", "plugins": {"basic-auth": {"username": "carol", "password": "pw"}}})
    box.put("/routes/r", {"uri": "/m", "upstream": upstream(echoes[0]), "plugins": {
        "key-auth": {"_meta": {"priority": 9000}}, "basic-auth": {}}})
    assert box.get("/m").json() == {"message": "Missing API key in request"}
    box.put("/routes/r", {"uri": "/m", "upstream": upstream(echoes[0]), "plugins": {
        "key-auth": {"_meta": {"disable": True}}, "basic-auth": {}}})
    assert box.get("/m", headers={"Authorization": basic("carol", "pw")}).status_code == 200


def test_limit_count_group_shares_one_counter(box: Box, echoes: list[Echo]) -> None:
    """§5: routes with the same ``group`` share the counter."""
    conf = {"count": 2, "time_window": 60, "group": "shared"}
    box.put("/routes/r1", {"uri": "/one", "plugins": {"limit-count": conf}, "upstream": upstream(echoes[0])})
    box.put("/routes/r2", {"uri": "/two", "plugins": {"limit-count": conf}, "upstream": upstream(echoes[0])})
    assert [box.get(p).status_code for p in ("/one", "/two", "/one")] == [200, 200, 503]


def test_meta_error_response(box: Box, echoes: list[Echo]) -> None:
    """§3 ([A] ``plugin.lua: run_plugin()``): ``_meta.error_response`` replaces the body of a refusal."""
    box.put("/routes/r", {"uri": "/e", "upstream": upstream(echoes[0]), "plugins": {
        "key-auth": {"_meta": {"error_response": {"message": "who are you"}}}}})
    refused = box.get("/e")
    assert refused.status_code == 401 and refused.json() == {"message": "who are you"}


def test_anonymous_consumer_and_realm(box: Box, echoes: list[Echo]) -> None:
    """[A] ``key-auth.lua: rewrite()``: a failed key falls back to ``anonymous_consumer`` (hidden
    credentials stripped); without that consumer the answer is ``Invalid user authorization``."""
    box.put("/consumers", {"username": "guest", "plugins": {
        "limit-count": {"count": 1, "time_window": 60, "rejected_code": 429}}})
    box.put("/routes/r", {"uri": "/a", "upstream": upstream(echoes[0]), "plugins": {
        "key-auth": {"anonymous_consumer": "guest", "hide_credentials": True}}})
    first = box.get("/a?apikey=wrong", headers={"apikey": "wrong"})
    assert first.status_code == 200
    seen = first.json()
    assert seen["headers"]["x-consumer-username"] == "guest"
    assert "apikey" not in seen["headers"] and seen["target"] == "/a"
    assert box.get("/a").status_code == 429  # the guest's own limit-count joined the route
    box.put("/routes/r", {"uri": "/a", "upstream": upstream(echoes[0]), "plugins": {
        "basic-auth": {"anonymous_consumer": "nobody", "realm": "photos"}}})
    refused = box.get("/a")
    assert refused.status_code == 401 and refused.json() == {"message": "Invalid user authorization"}
    assert refused.headers["www-authenticate"] == 'Basic realm="photos"'


def test_consumer_group_plugins(box: Box, echoes: list[Echo]) -> None:
    """[A] ``plugin.lua: merge_consumer_route()``: group plugins first, the consumer's own win."""
    box.put("/consumer_groups/slow", {"plugins": {"limit-count": {"count": 1, "time_window": 60,
                                                                  "rejected_code": 429}}})
    box.put("/consumers", {"username": "alice", "group_id": "slow", "plugins": {"key-auth": {"key": "k1"}}})
    box.put("/consumers", {"username": "bob", "group_id": "slow", "plugins": {
        "key-auth": {"key": "k2"}, "limit-count": {"count": 3, "time_window": 60, "rejected_code": 429}}})
    box.put("/routes/r", {"uri": "/g", "plugins": {"key-auth": {}}, "upstream": upstream(echoes[0])})
    assert [box.get("/g", headers={"apikey": "k1"}).status_code for _ in range(2)] == [200, 429]
    assert [box.get("/g", headers={"apikey": "k2"}).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_limit_count_counter_belongs_to_the_object_holding_it(box: Box, echoes: list[Echo]) -> None:
    """[A] 3.18 ``limit-count/init.lua: gen_limit_key()`` keys by ``parent.resource_key``: two routes
    sharing a service's limit-count share its counter; a route's own limit-count counts apart."""
    box.put("/services/s", {"plugins": {"limit-count": {"count": 2, "time_window": 60}},
                            "upstream": upstream(echoes[0])})
    box.put("/routes/r1", {"uri": "/one", "service_id": "s"})
    box.put("/routes/r2", {"uri": "/two", "service_id": "s"})
    box.put("/routes/r3", {"uri": "/three", "upstream": upstream(echoes[0]),
                           "plugins": {"limit-count": {"count": 2, "time_window": 60}}})
    assert [box.get(p).status_code for p in ("/one", "/two", "/one", "/three")] == [200, 200, 503, 200]


def test_proxy_rewrite_without_uri_sends_the_normalised_uri(box: Box, echoes: list[Echo]) -> None:
    """[A] ``proxy-rewrite.lua: rewrite()`` starts from ``ctx.var.uri``: even a host-only rewrite
    sends the decoded, normalised path (escaped again) plus the query, not the raw request line."""
    from .test_routing import raw_get

    box.put("/routes/r", {"uri": "/p/*", "upstream": upstream(echoes[0]),
                          "plugins": {"proxy-rewrite": {"host": "inner.test"}}})
    status, body = raw_get(box.url, "/p//a%20b/./c?x=1")
    assert status == 200
    import json

    assert json.loads(body)["target"] == "/p/a%20b/c?x=1"
