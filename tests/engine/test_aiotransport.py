"""The aiohttp transport under httpx, against real sockets on 127.0.0.1 (free ports).

Each server here is a few lines of ``asyncio.start_server`` that misbehaves in one precise way,
so the test pins which httpx exception (and so which retry decision in ``http.AdminClient``) each
failure becomes: a refused port and a TLS failure are connect errors, a silent server is a
read timeout, a server that hangs up mid-answer is a protocol error.  The happy paths check
that httpx still sees status, headers and a gzip body decoded, over plain HTTP and over TLS
with ``--ca-cert`` or ``--insecure``.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import gzip
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.errors import ConnectError
from reconciler.run.adapters.aiotransport import AiohttpTransport
from reconciler.run.adapters.http import AdminClient, RetryPolicy, make_client


def synchronous(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (pytest fixtures still reach it)."""
    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))  # type: ignore[arg-type]
    return run


Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(serve: Serve, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


def _answer(status: str, body: bytes, *extra: str) -> bytes:
    headers = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def _json_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request on the connection with the request's first line, gzipped."""
    try:
        while True:
            request = await _read_request(reader)
            line = request.split(b"\r\n", 1)[0]
            body = gzip.compress(b'{"line": "' + line + b'"}')
            writer.write(_answer("201 Created", body, "Content-Type: application/json", "Content-Encoding: gzip",
                                 "X-Test: yes"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def _client(url: str, **kw: object) -> AdminClient:
    async def no_sleep(_: float) -> None:
        return None

    client = make_client(timeout=kw.pop("timeout", 5.0), **kw)  # type: ignore[arg-type]
    return AdminClient(client, url, retry=RetryPolicy(attempts=2, sleep=no_sleep))


@synchronous
async def test_answers_arrive_as_httpx_responses_with_gzip_decoded() -> None:
    async with serving(_json_echo) as url:
        t = _client(url)
        try:
            responses = await asyncio.gather(*(t.request("PUT", f"/things/{i}", body={"i": i}) for i in range(20)))
        finally:
            await t.client.aclose()
    assert isinstance(t._transport, AiohttpTransport)
    assert [r.status_code for r in responses] == [201] * 20
    assert responses[3].json() == {"line": "PUT /things/3 HTTP/1.1"}
    assert responses[0].headers["x-test"] == "yes"
    assert responses[0].request.method == "PUT"
    assert responses[0].reason_phrase == "Created"


@synchronous
async def test_a_refused_port_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but never listening: connections are refused
        t = _client(f"http://127.0.0.1:{port}")
        with pytest.raises(ConnectError, match="cannot connect to"):
            await t.request("GET", "/x")
        await t.client.aclose()
    assert t.requests == 2  # retried once: a refused connection sent nothing


@synchronous
async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async with serving(silent) as url:
        t = _client(url, timeout=0.3)
        with pytest.raises(ConnectError, match=r"in time|within 0.3 s") as caught:
            await t.request("GET", "/x")
        await t.client.aclose()
    # aiohttp's read timeout (mapped to httpx's) or the seam's overall deadline, whichever fires first
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert t.requests == 2  # a timed-out request is sent at most once more


@synchronous
async def test_a_hang_up_mid_answer_is_a_protocol_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial")
        await writer.drain()
        writer.close()

    async with serving(hang_up) as url:
        t = _client(url)
        with pytest.raises(ConnectError) as caught:
            await t.request("GET", "/x")
        await t.client.aclose()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    return server, cert_path


@synchronous
async def test_tls_is_verified_unless_told_otherwise(tmp_path: Path) -> None:
    server_tls, ca = _self_signed(tmp_path)
    async with serving(_json_echo, tls=server_tls) as url:
        unknown = _client(url)
        with pytest.raises(ConnectError, match=r"TLS with .* failed"):
            await unknown.request("GET", "/x")
        await unknown.client.aclose()
        for trusted in (_client(url, ca_cert=str(ca)), _client(url, insecure=True)):
            response = await trusted.request("GET", "/y")
            await trusted.client.aclose()
            assert response.json() == {"line": "GET /y HTTP/1.1"}
