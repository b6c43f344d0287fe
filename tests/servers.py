"""Misbehaving servers on 127.0.0.1 for the tests of bounds and malformed answers: real TCP, no mocking of the
client. Each reads one request and then does what its behaviour says."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from conformance.maskinporten.certs import new_rsa_key, private_key_pem

Behaviour = Callable[[socket.socket, bytes], None]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class RawServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            request = _read_request(conn)
            self.requests.append(request)
            self.behaviour(conn, request)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@contextlib.contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[RawServer]:
    server = RawServer(behaviour)
    try:
        yield server
    finally:
        server.close()


def answer(status: int, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
            f"connection: close\r\n{extra}\r\n").encode() + body


def replies(status: int, body: bytes, **kwargs: str) -> Behaviour:
    def behaviour(conn: socket.socket, request: bytes) -> None:
        conn.sendall(answer(status, body, **kwargs))
    return behaviour


def drip(interval: float = 0.2, total: int = 10_000) -> Behaviour:
    """A server that answers, one byte at a time: each read gets data in time, the whole answer never comes."""
    def behaviour(conn: socket.socket, request: bytes) -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        for byte in (head + b"x-drip: " + b"a" * total)[:total]:
            conn.sendall(bytes([byte]))
            time.sleep(interval)
    return behaviour


def silent(conn: socket.socket, request: bytes) -> None:
    """Reads the request and never answers (until the client gives up and closes)."""
    while conn.recv(1024):
        pass


def key_file(folder: Path) -> Path:
    path = folder / "client-key.pem"
    path.write_bytes(private_key_pem(new_rsa_key()))
    return path


def target_args(url: str, key: Path, *extra: str) -> list[str]:
    """`run` options for a real target at ``url`` (API, token endpoint and issuer on one origin)."""
    return ["--target", "mock", "--base-url", url, "--token-url", f"{url}/token", "--issuer", f"{url}/",
            "--client-id", "c", "--key", str(key), "--kid", "k", "--org", "310702641", *extra]
