"""APISIX emulator: data encryption (spec §6), SSL key stripping, consumers and credentials (§1.1)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.apisix_crypto import Keyring, decrypt, encrypt
from tests.sandbox.admin_client import serve

FIRST = "qeddd145sfvddff3"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    yield from serve(ApisixEmulator())


@pytest.mark.parametrize(("plain", "key", "cipher"), [
    ("auth-one", "qeddd145sfvddff3", "4y+JvURBE6ZwRbbgaryrhg=="),
    ("bar", "edd1c9f0985e76a2", "77+NmbYqNfN+oLm0aX5akg=="),
    ("userkey", "edd1c9f0985e76a2", "mt39FazQccyMqt4ctoRV7w=="),
])
def test_spec_test_vectors(plain: str, key: str, cipher: str) -> None:
    assert encrypt(plain, key) == cipher
    assert decrypt(cipher, key) == plain


def test_keyring_tries_each_entry_and_leaves_undecryptable_values() -> None:
    ring = Keyring(["qeddd145sfvddff3", "edd1c9f0985e76a2"])
    assert ring.decrypt("77+NmbYqNfN+oLm0aX5akg==") == "bar"
    assert ring.decrypt("not-base64!") == "not-base64!"
    assert Keyring([]).encrypt("x") == "x"


def test_write_response_ciphertext_get_plaintext(client: httpx.Client) -> None:
    response = client.put("/consumers", json={"username": "jack", "plugins": {"key-auth": {"key": "auth-one"}}})
    assert response.json()["value"]["plugins"]["key-auth"]["key"] == "4y+JvURBE6ZwRbbgaryrhg=="
    assert client.get("/consumers/jack").json()["value"]["plugins"]["key-auth"]["key"] == "auth-one"
    listed = client.get("/consumers").json()["list"][0]["value"]
    assert listed["plugins"]["key-auth"]["key"] == "auth-one"


def test_route_plugin_secret_encrypted(client: httpx.Client) -> None:
    body = {"uri": "/a", "plugins": {"csrf": {"key": "userkey"}}}
    assert client.put("/routes/1", json=body).json()["value"]["plugins"]["csrf"]["key"] == encrypt("userkey", FIRST)
    assert client.get("/routes/1").json()["value"]["plugins"]["csrf"]["key"] == "userkey"


def test_openid_connect_session_secret_encrypted_in_318(client: httpx.Client) -> None:
    conf = {"client_id": "a", "client_secret": "bar", "discovery": "http://x",
            "session": {"secret": "0123456789abcdef"}}
    stored = client.put("/routes/1", json={"uri": "/a", "plugins": {"openid-connect": conf}}).json()
    echoed = stored["value"]["plugins"]["openid-connect"]
    assert echoed["client_secret"] == encrypt("bar", FIRST)
    assert echoed["session"]["secret"] == encrypt("0123456789abcdef", FIRST)
    assert client.get("/routes/1").json()["value"]["plugins"]["openid-connect"] == conf


def test_second_keyring_entry_decrypts_on_get() -> None:
    emu = ApisixEmulator(keyring=("edd1c9f0985e76a2",))
    for client in serve(emu):
        response = client.put("/consumers", json={"username": "j", "plugins": {"key-auth": {"key": "bar"}}})
        assert response.json()["value"]["plugins"]["key-auth"]["key"] == "77+NmbYqNfN+oLm0aX5akg=="


def test_encryption_off_stores_plaintext() -> None:
    for client in serve(ApisixEmulator(encryption=False)):
        response = client.put("/consumers", json={"username": "j", "plugins": {"key-auth": {"key": "auth-one"}}})
        assert response.json()["value"]["plugins"]["key-auth"]["key"] == "auth-one"


def test_patch_318_does_not_double_encrypt(client: httpx.Client) -> None:
    client.put("/routes/1", json={"uri": "/a", "plugins": {"csrf": {"key": "userkey"}}})
    client.patch("/routes/1", json={"desc": "x"})
    assert client.get("/routes/1").json()["value"]["plugins"]["csrf"]["key"] == "userkey"


def test_patch_before_318_double_encrypts() -> None:
    for client in serve(ApisixEmulator("3.17.0")):
        client.put("/routes/1", json={"uri": "/a", "plugins": {"csrf": {"key": "userkey"}}})
        client.patch("/routes/1", json={"desc": "x"})
        got = client.get("/routes/1").json()["value"]["plugins"]["csrf"]["key"]
        assert got == encrypt("userkey", FIRST)


def _pem_pair() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def test_ssl_key_encrypted_in_response_and_stripped_from_get(client: httpx.Client) -> None:
    cert, key = _pem_pair()
    response = client.put("/ssls/1", json={"cert": cert, "key": key, "sni": "test.com"})
    assert response.status_code == 201, response.text
    assert response.json()["value"]["key"] == encrypt(key, "qeddd145sfvddff3")
    got = client.get("/ssls/1").json()["value"]
    assert "key" not in got and got["cert"] == cert
    assert "key" not in client.get("/ssls").json()["list"][0]["value"]


def test_ssl_bad_pem(client: httpx.Client) -> None:
    _cert, key = _pem_pair()
    response = client.put("/ssls/1", json={"cert": "x" * 200, "key": key, "sni": "a.com"})
    assert response.json() == {"error_msg": "failed to parse cert: PEM_read_bio_X509_AUX() failed"}


def test_client_ssl_reference_type(client: httpx.Client) -> None:
    cert, key = _pem_pair()
    client.put("/ssls/s", json={"cert": cert, "key": key, "sni": "test.com"})
    response = client.put("/upstreams/1", json={"nodes": {}, "tls": {"client_cert_id": "s"}})
    assert response.json() == {"error_msg": "failed to fetch ssl info by ssl id [s], wrong ssl type"}
    client.put("/ssls/c", json={"cert": cert, "key": key, "type": "client"})
    assert client.put("/upstreams/1", json={"nodes": {}, "tls": {"client_cert_id": "c"}}).status_code == 201


def test_credentials_lifecycle(client: httpx.Client) -> None:
    cred = {"plugins": {"key-auth": {"key": "auth-one"}}}
    missing = client.put("/consumers/jack/credentials/c1", json=cred)
    assert (missing.status_code, missing.json()) == (404, {"error_msg": "consumer not found"})
    client.put("/consumers", json={"username": "jack"})
    created = client.put("/consumers/jack/credentials/c1", json=cred)
    assert created.status_code == 201
    assert created.json()["key"] == "/apisix/consumers/jack/credentials/c1"
    assert created.json()["value"]["plugins"]["key-auth"]["key"] == "4y+JvURBE6ZwRbbgaryrhg=="
    got = client.get("/consumers/jack/credentials/c1").json()
    assert got["value"]["plugins"]["key-auth"]["key"] == "auth-one"
    assert got["value"]["id"] == "c1"
    assert client.get("/consumers/jack/credentials").json()["total"] == 1
    assert client.get("/consumers").json()["total"] == 1
    assert client.delete("/consumers/jack").status_code == 200
    assert client.get("/consumers/jack/credentials").json() == {"message": "Key not found"}
    assert client.get("/consumers/jack/credentials/c1").status_code == 404


@pytest.mark.parametrize(("body", "message"), [
    ({"plugins": {"key-auth": {"key": "a"}, "basic-auth": {"username": "u", "password": "p"}}},
     'invalid configuration: property "plugins" validation failed: expect object to have at most 1 properties'),
    ({"plugins": {"limit-count": {"count": 1, "time_window": 1}}},
     "only supports auth type plugins in consumer credential"),
])
def test_credential_plugin_rules(client: httpx.Client, body: dict[str, object], message: str) -> None:
    client.put("/consumers", json={"username": "jack"})
    assert client.put("/consumers/jack/credentials/c1", json=body).json() == {"error_msg": message}


def test_credential_needs_id(client: httpx.Client) -> None:
    client.put("/consumers", json={"username": "jack"})
    response = client.put("/consumers/jack/credentials", json={"plugins": {}})
    assert response.json() == {"error_msg": "missing credential id"}


def test_duplicate_auth_keys_318(client: httpx.Client) -> None:
    client.put("/consumers", json={"username": "case_a", "plugins": {"key-auth": {"key": "k1"}}})
    client.put("/consumers", json={"username": "alex"})
    client.put("/consumers/alex/credentials/cred-alex-a", json={"plugins": {"key-auth": {"key": "k2"}}})
    dup = client.put("/consumers", json={"username": "b", "plugins": {"key-auth": {"key": "k1"}}})
    assert dup.json() == {"error_msg": "duplicate key of plugin key-auth found with consumer: case_a"}
    dup = client.put("/consumers", json={"username": "b", "plugins": {"key-auth": {"key": "k2"}}})
    assert dup.json() == {"error_msg": "duplicate key of plugin key-auth found with credential: cred-alex-a "
                                       "of consumer: alex"}
    again = client.put("/consumers", json={"username": "case_a", "plugins": {"key-auth": {"key": "k1"}}})
    assert again.status_code == 200


def test_no_duplicate_check_in_legacy() -> None:
    for client in serve(ApisixEmulator("3.13.0")):
        client.put("/consumers", json={"username": "a", "plugins": {"key-auth": {"key": "k1"}}})
        assert client.put("/consumers", json={"username": "b", "plugins": {"key-auth": {"key": "k1"}}}).status_code == 201


def test_plugin_metadata(client: httpx.Client) -> None:
    response = client.put("/plugin_metadata/cors", json={"allow_origins": {"a": "http://a.com"}})
    assert response.status_code == 201
    value = client.get("/plugin_metadata/cors").json()["value"]
    assert value == {"allow_origins": {"a": "http://a.com"}, "id": "cors"}
    assert client.put("/plugin_metadata/nope", json={"a": 1}).json() == {"error_msg": "invalid plugin name"}
    assert client.put("/plugin_metadata", json={"a": 1}).json() == {"error_msg": "missing plugin name"}
    assert client.delete("/plugin_metadata/cors").json() == {"deleted": "1", "key": "/apisix/plugin_metadata/cors"}


def test_ssl_patch_keeps_one_layer_of_encryption(client: httpx.Client) -> None:
    cert, key = _pem_pair()
    client.put("/ssls/1", json={"cert": cert, "key": key, "sni": "test.com"})
    patched = client.patch("/ssls/1", json={"sni": "other.com"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["value"]["key"] == encrypt(key, FIRST)
    _cert2, key2 = _pem_pair()
    assert client.patch("/ssls/1/key", json=key2).json()["value"]["key"] == encrypt(key2, FIRST)
    assert client.get("/ssls/1").json()["value"]["sni"] == "other.com"


def test_upstream_client_key_stays_ciphertext_on_get(client: httpx.Client) -> None:
    cert, key = _pem_pair()
    body = {"nodes": {}, "tls": {"client_cert": cert, "client_key": key}}
    assert client.put("/upstreams/1", json=body).json()["value"]["tls"]["client_key"] == encrypt(key, FIRST)
    assert client.get("/upstreams/1").json()["value"]["tls"]["client_key"] == encrypt(key, FIRST)
    client.patch("/upstreams/1", json={"desc": "x"})
    assert client.get("/upstreams/1").json()["value"]["tls"]["client_key"] == encrypt(key, FIRST)
    route = {"uri": "/a", "upstream": body}
    assert client.put("/routes/1", json=route).json()["value"]["upstream"]["tls"]["client_key"] == encrypt(key, FIRST)
