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
