"""Run the mock as a real HTTP server (uvicorn) on 127.0.0.1: in a thread, or in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from conformance.mock.app import create_app
from conformance.mock.state import MockState


@dataclass(frozen=True)
class RunningMock:
    state: MockState
    origin: str

    @property
    def issuer(self) -> str:
        return self.state.issuer

    @property
    def token_url(self) -> str:
        return self.state.token_url

    @property
    def base_url(self) -> str:
        return self.origin


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only for such sockets;
    # without it every response waits ~40 ms for Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


IDLE_TIMEOUT = 30.0  # seconds an idle connection (kept alive, or never used) stays open
IDLE_CLOSE_GRACE = 0.1  # seconds an idle connection told to close at shutdown may take before it is cut
MAX_CONNECTIONS = 512  # more open connections than this: the oldest idle one is closed for a new one


class _CoalescingTransport:
    """A connection's transport that holds what is written until the event loop next turns, and sends it then in
    one system call. uvicorn writes a response's head and body separately: two system calls and two TCP segments
    for every answer. And answers made in one turn (one for each connection that had a request ready) leave
    together after it, not one between each read, which would wake the client once per answer."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()  # what was written before close is sent, as a plain transport does
        self._transport.close()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _at_once(step: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (uvicorn's ``send`` while writing is not paused) to its end."""
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()
    raise RuntimeError("uvicorn's send waited, which it does only when writing is paused")


class _IdleBoundedProtocol(HttpToolsProtocol):
    """uvicorn's protocol, with two bounds it lacks: a connection that never sends a request is closed after the
    idle timeout too (uvicorn arms that timer only after a response), and a flood of idle connections cannot use
    up the file descriptors a new client needs; a response leaves in one send (:class:`_CoalescingTransport`); and
    the mock's lane (:mod:`conformance.mock.lane`) answers in the turn of the event loop that read the request.

    The lane: where uvicorn would start the ASGI task for a request, an app with ``now`` is asked for the answer
    at once, and a plain one is written through the request's own cycle (uvicorn's ``send``: the same status
    line, headers, keep-alive and pipelining as through ASGI). That saves the task, the ASGI messages and the
    coroutines of every layer: in alternating rounds +11 % requests/s at 1 connection, the same at 16."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(_CoalescingTransport(transport, self.loop))
        self.opened = self.loop.time()
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        if len(self.connections) > MAX_CONNECTIONS:
            idle = [c for c in self.connections if c is not self and (c.cycle is None or c.cycle.response_complete)]
            if idle:
                min(idle, key=lambda c: getattr(c, "opened", 0.0)).transport.close()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        now = getattr(app, "now", None)
        if now is None or self.flow.write_paused:
            super()._start_asgi_task(cycle, app)
            return
        try:
            answer = now(cycle.scope)
            if answer is None:
                super()._start_asgi_task(cycle, app)
            elif not answer.plain:  # a stream: sent by an ASGI task, as any app's
                super()._start_asgi_task(cycle, answer)
            else:
                response = answer.response
                _at_once(cycle.send({"type": "http.response.start", "status": response.status_code,
                                     "headers": response.raw_headers}))
                _at_once(cycle.send({"type": "http.response.body", "body": response.body}))
                if answer.error is not None:
                    raise answer.error
                answer.sent()
        except Exception as exc:  # as uvicorn handles an app's error: logged, a 500 if nothing was sent, closed
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            if not cycle.response_started:
                _at_once(cycle.send_500_response())
            self.transport.close()


def _config(app: Any, idle_timeout: float = IDLE_TIMEOUT, **kwargs: Any) -> uvicorn.Config:
    # No access log and no proxy-headers layer: the mock is reached directly, and both cost time per call.
    return uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, proxy_headers=False,
                          http=_IdleBoundedProtocol, timeout_keep_alive=idle_timeout, **kwargs)


class _PromptServer(uvicorn.Server):
    """uvicorn's server that stops as soon as it is told to. uvicorn looks at ``should_exit`` every 0.1 s and its
    shutdown sleeps 0.1 s and polls open connections every 0.1 s: 0.2 s or more of idle waiting at the end of every
    run. Here a thread-safe wake-up ends the tick loop at once and shutdown polls every few milliseconds (bounded
    by the graceful-shutdown timeout, after which the remaining tasks are cancelled)."""

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):  # on_tick also refreshes the Date header every tenth tick
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def stop(self) -> None:
        """Ask the server (running in another thread) to stop now."""
        self.should_exit = True
        loop = getattr(self, "_loop", None)
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(self._wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # an idle keep-alive connection closes now, a busy one after its response
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 5.0)
        # Closing TLS waits for the client's close_notify, which a client holding an idle connection never sends
        # (it is not reading): idle ones still open after a moment are cut, instead of waiting out the deadline.
        cut_idle = time.monotonic() + IDLE_CLOSE_GRACE
        while (self.server_state.connections or self.server_state.tasks) and time.monotonic() < deadline:
            if time.monotonic() >= cut_idle:
                cut_idle = deadline
                for connection in list(self.server_state.connections):
                    if connection.cycle is None or connection.cycle.response_complete:
                        connection.transport.abort()
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()


@contextlib.contextmanager
def serve(state: MockState, host: str = "127.0.0.1", port: int = 0, *, ssl_certfile: str | None = None,
          ssl_keyfile: str | None = None, startup_timeout: float = 10.0, app: Any = None,
          idle_timeout: float = IDLE_TIMEOUT) -> Iterator[RunningMock]:
    """Serve the mock in a background thread on a free (or given) port until the block ends. ``app`` replaces
    the mock's app (benchmarks compare the mock with a static answer on the same server)."""
    sock = _bind(host, port)
    scheme = "https" if ssl_certfile else "http"
    state.set_origin(f"{scheme}://{host}:{sock.getsockname()[1]}")
    config = _config(app or create_app(state), idle_timeout, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    server = _PromptServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="sbs-mock")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the mock server did not start")
        time.sleep(0.005)
    try:
        yield RunningMock(state, state.origin)
    finally:
        server.stop()
        thread.join(5)
        sock.close()


class _AnnouncingServer(uvicorn.Server):
    """Prints a line once it really listens, so whoever waits for that line can connect at once."""

    def __init__(self, config: uvicorn.Config, ready_line: str) -> None:
        super().__init__(config)
        self.ready_line = ready_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        print(self.ready_line, flush=True)


def serve_forever(state: MockState, sock: socket.socket, ready_line: str = "Press Ctrl-C to stop.",
                  idle_timeout: float = IDLE_TIMEOUT) -> None:
    """Serve on an already bound socket until interrupted; ``state.set_origin`` must have been called."""
    config = _config(create_app(state), idle_timeout)
    _AnnouncingServer(config, ready_line).run(sockets=[sock])
