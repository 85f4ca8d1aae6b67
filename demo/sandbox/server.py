"""The loopback HTTP server: auth, rate limit and faults in front of the two APIs.

Every request goes through the same gate, in the order a real edge applies it: token
(401), rate limit (429 + Retry-After; HubSpot's rate-limit headers), injected fault,
then the HubSpot or Stripe endpoint. ``/_sandbox/*`` is the control plane tests use
(knobs, stats, mutation); it needs the token too but is never throttled nor faulted.
The token is never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import secrets
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.sandbox import hubspot_api, stripe_api
from demo.sandbox.knobs import Knobs, KnobsError
from demo.sandbox.mutate import mutate_world
from demo.sandbox.responses import (
    Api,
    ApiError,
    ApiRequest,
    Response,
    api_of,
    error_response,
    hubspot_rate_headers,
    rate_limited,
    unauthorized,
)
from demo.sandbox.store import World
from demo.sandbox.traffic import RateLimiter, Stats, endpoint_label

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = {
    "127.0.0.1": ("127.0.0.1", socket.AF_INET),
    "localhost": ("127.0.0.1", socket.AF_INET),
    "::1": ("::1", socket.AF_INET6),
}
MAX_BODY_BYTES = 10 * 1024 * 1024
FAULT_MESSAGES = {
    "500": "Internal server error (injected by the sandbox).",
    "502": "Bad gateway (injected by the sandbox).",
    "503": "Service unavailable (injected by the sandbox).",
}


class SandboxState:
    """What the request threads share: the world, the token, knobs and counters."""

    def __init__(self, world_dir: Path, token: str, knobs: Knobs) -> None:
        if not token:
            raise ValueError("the sandbox needs a non-empty token")
        self.world = World(world_dir)
        self.stats = Stats()
        self.limiter = RateLimiter()
        self.stopping = threading.Event()
        self._token = token.encode()
        self._knobs = knobs
        self._fault_counter = 0
        self._lock = threading.Lock()
        self._mutation_lock = threading.Lock()

    @property
    def knobs(self) -> Knobs:
        return self._knobs

    def set_knobs(self, knobs: Knobs) -> None:
        """Replace the knobs; the fault schedule counts again from request 1."""
        with self._lock:
            self._knobs = knobs
            self._fault_counter = 0

    def next_fault(self, path: str) -> tuple[int, str | None] | None:
        """Number this request if faults apply to it, with the fault it gets, if any."""
        with self._lock:
            knobs = self._knobs
            if not knobs.applies_to(path):
                return None
            self._fault_counter += 1
            return self._fault_counter, knobs.fault_for(self._fault_counter)

    def check_token(self, authorization: str | None, api: Api) -> tuple[bool, bool]:
        """(a credential was given, it is the right one). Stripe also takes basic auth."""
        if not authorization:
            return False, False
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "basic" and api == "stripe":
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return True, False
            credential = decoded.partition(":")[0]
        elif scheme.lower() != "bearer":
            return True, False
        return True, hmac.compare_digest(credential.encode(), self._token)

    def mutate(self, seed: int, fraction: float) -> dict[str, Any]:
        with self._mutation_lock:
            summary = mutate_world(self.world.root, seed, fraction)
            self.world.reload()
        return summary.to_dict()


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True  # an abandoned keep-alive connection must not block shutdown

    def __init__(self, host: str, port: int, state: SandboxState) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"the sandbox binds to loopback only (127.0.0.1, ::1 or localhost), not {host!r}"
            )
        address, family = LOOPBACK_HOSTS[host]
        self.address_family = family
        self.state = state
        super().__init__((address, port), SandboxRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn): slow without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self) -> str:
        host = f"[{self.server_name}]" if ":" in self.server_name else self.server_name
        return f"http://{host}:{self.server_port}"


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    server_version = "sales-tracker-sandbox"
    timeout = 60  # idle keep-alive connections are dropped after this
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _serve(self, method: str) -> None:
        state = self.server.state
        self._extra_headers: dict[str, str] = {}
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        body = self._read_body()
        if body is None:
            return
        api = api_of(path)
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        request = ApiRequest(
            method=method,
            path=path,
            query=parse_qs(url.query, keep_blank_values=True),
            body=body,
            base_url=f"http://{host}",
        )
        given, valid = state.check_token(self.headers.get("Authorization"), api)
        if path.startswith("/_sandbox/"):
            response = self._control(request) if valid else unauthorized(api, given)
            self._send(response, counted=False)
            return
        endpoint = endpoint_label(method, path)
        state.stats.request(endpoint)
        if not valid:
            self._send(unauthorized(api, given))
            return
        knobs = state.knobs
        limit = knobs.rate_limit_per_second
        if limit is not None:
            admission = state.limiter.admit(limit, time.monotonic())
            if api == "hubspot":  # HubSpot announces its limits on every answer; Stripe never
                self._extra_headers = hubspot_rate_headers(limit, admission.remaining)
            if admission.retry_after is not None:
                self._send(rate_limited(api, admission.retry_after))
                return
        numbered = state.next_fault(path)
        fault = numbered[1] if numbered else None
        if numbered and fault:
            state.stats.fault(fault, numbered[0], endpoint)
        if fault == "429":
            self._send(rate_limited(api, 1))
            return
        if fault in FAULT_MESSAGES:
            self._send(error_response(api, int(fault), FAULT_MESSAGES[fault]))
            return
        response = self._dispatch(api, request)
        if fault == "timeout" and state.stopping.wait(knobs.timeout_delay_seconds):
            self.close_connection = True
            return
        self._send(response, truncate=fault == "truncate")

    def _dispatch(self, api: Api, request: ApiRequest) -> Response:
        world = self.server.state.world
        try:
            if api == "stripe":
                return stripe_api.handle(world, request)
            return hubspot_api.handle(world, request)
        except ApiError as error:
            return error.response
        except Exception:
            logger.exception("sandbox endpoint failed: %s %s", request.method, request.path)
            return error_response(api, 500, "The sandbox failed on this request (see its log).")

    def _control(self, request: ApiRequest) -> Response:
        state = self.server.state
        route = (request.method, request.path)
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return error_response("hubspot", 400, "The request body is not valid JSON.")
        if route == ("GET", "/_sandbox/stats"):
            snapshot = state.stats.snapshot()
            return Response(
                200, {**snapshot, "knobs": state.knobs.to_dict(), "loaded": state.world.loaded()}
            )
        if route == ("POST", "/_sandbox/stats/reset"):
            state.stats.reset()
            return Response(200, state.stats.snapshot())
        if route == ("GET", "/_sandbox/knobs"):
            return Response(200, state.knobs.to_dict())
        if route == ("POST", "/_sandbox/knobs"):
            if not isinstance(payload, dict):
                return error_response("hubspot", 400, "Knobs must be a JSON object.")
            try:
                state.set_knobs(state.knobs.updated(payload))
            except KnobsError as error:
                return error_response("hubspot", 400, str(error))
            return Response(200, state.knobs.to_dict())
        if route == ("POST", "/_sandbox/mutate"):
            if not isinstance(payload, dict):
                return error_response("hubspot", 400, "Expected {seed, fraction}.")
            try:
                seed = int(payload.get("seed", 0))
                fraction = float(payload.get("fraction", 0.05))
                return Response(200, state.mutate(seed, fraction))
            except (TypeError, ValueError) as error:
                return error_response("hubspot", 400, f"Cannot mutate: {error}")
        message = f"No sandbox endpoint {request.method} {request.path}."
        return error_response("hubspot", 404, message)

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after answering a body the sandbox will not read."""
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._send(error_response(api_of(self.path), 400, "Bad or oversized request body."))
            return None
        return self.rfile.read(length)

    def _send(self, response: Response, truncate: bool = False, counted: bool = True) -> None:
        """Write ``response``; a truncated one declares its full length, sends half, closes."""
        data = json.dumps(response.body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in {**response.headers, **self._extra_headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if truncate else data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout)
        if truncate:
            self.close_connection = True
        if counted:
            self.server.state.stats.status(response.status)


@dataclass
class SandboxHandle:
    """A running sandbox (``start_sandbox``): its URL and token, and ``stop()``."""

    base_url: str
    token: str = field(repr=False)
    state: SandboxState = field(repr=False)
    _server: SandboxServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self.state.stopping.set()  # releases requests held by a timeout fault
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(
    world_dir: Path,
    token: str | None = None,
    port: int = 0,
    knobs: Knobs | None = None,
    host: str = "127.0.0.1",
) -> SandboxHandle:
    """Serve ``world_dir`` from a background thread (port 0: a free one) until ``stop()``;
    without a token, one is generated (``handle.token``)."""
    token = token or secrets.token_urlsafe(24)
    state = SandboxState(Path(world_dir), token, knobs or Knobs())
    server = SandboxServer(host, port, state)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="sales-tracker-sandbox",
        daemon=True,
    )
    thread.start()
    return SandboxHandle(server.base_url, token, state, server, thread)


def run_sandbox(
    world_dir: Path,
    port: int,
    token: str,
    knobs: Knobs | None = None,
    host: str = "127.0.0.1",
) -> None:
    """Serve ``world_dir`` in the foreground until interrupted (Ctrl-C)."""
    state = SandboxState(Path(world_dir), token, knobs or Knobs())
    server = SandboxServer(host, port, state)
    print(
        f"Sandbox APIs for {world_dir} on {server.base_url} "
        "(HubSpot /crm/v3, Stripe /v1, control /_sandbox); Ctrl-C to stop",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.stopping.set()
        server.server_close()
