"""The stack's ceiling for the throughput row: an HTTP/1.1 server with no application at all, on the mock's own
event loop and parser (uvloop and httptools, as uvicorn runs them), answering every request with the same fixed
bytes. No Python server on this stack answers faster; at one connection its rate is mostly the round trip
through the kernel and ``wrk``, which no mock can avoid.

    python bench/bare_server.py PORT     # prints "ready" once it listens
"""

from __future__ import annotations

import asyncio
import sys

import httptools
import uvloop

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]"


class BareProtocol(asyncio.Protocol):
    """Parses each request with llhttp and answers it in the same turn of the loop, in one send."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self) -> None:
        self.transport.write(ANSWER)  # type: ignore[attr-defined]


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(BareProtocol, "127.0.0.1", port)
    print("ready", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1])))
