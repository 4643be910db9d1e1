"""What both emulators share: a loopback HTTP server, a request log, violations, faults.

An emulator is a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0 picks a free port) served
from a background thread. Each request is read whole, logged in ``requests``, given a
*route* name (``create``, ``poll``, ``download``...), then answered either by the next
injected fault for that route or by the emulator's own handler.

``violations`` collects every way a request broke the provider's documented contract. The
pytest fixtures fail the test when it is not empty, even if the code under test coped with
the error answer, because the real service would have refused the request too.
"""

from __future__ import annotations

import abc
import hmac
import io
import json
import logging
import secrets
import socket
import string
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NoReturn, Self
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw, UnidentifiedImageError

logger = logging.getLogger("django_tryon.testing")

METADATA_URL = "http://169.254.169.254/latest/meta-data/"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FaultSpec:
    """A kind of fault: what it does, its parameters, and the routes it can apply to."""

    help: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    routes: tuple[str, ...] | None = None  # None: any route of the emulator


@dataclass(frozen=True)
class Fault:
    kind: str
    route: str
    params: Mapping[str, Any]


@dataclass
class _Pending:
    fault: Fault
    times: int


# The faults both emulators understand. Download faults mimic a storage CDN.
COMMON_FAULTS: dict[str, FaultSpec] = {
    "http_error": FaultSpec(
        "an HTTP error status (429, 5xx, 401...) with the provider's JSON error body",
        {"status": 500, "retry_after": None, "message": None},
    ),
    "html": FaultSpec("an HTML error page, as a proxy or load balancer sends", {"status": 502}),
    "timeout": FaultSpec(
        "no answer for `seconds`, then the connection is dropped", {"seconds": 30.0}
    ),
    "reset": FaultSpec("the connection is reset (TCP RST) without an answer"),
    "malformed_json": FaultSpec("a truncated JSON body", {"status": 200}),
    "missing_fields": FaultSpec(
        "the normal answer without the given dotted fields (an empty object if none given)",
        {"fields": ()},
    ),
    "redirect": FaultSpec("a redirect to `location`", {"location": METADATA_URL, "status": 302}),
    "expired": FaultSpec("the CDN refuses an expired URL", {"status": 403}, routes=("download",)),
    "oversized": FaultSpec(
        "a download of `size` bytes, streamed; without a Content-Length if not `declare_length`",
        {"size": 50 * 1024 * 1024, "declare_length": True},
        routes=("download",),
    ),
    "not_image": FaultSpec(
        "a download that is an HTML page served as `content_type`",
        {"content_type": "image/png"},
        routes=("download",),
    ),
}


@dataclass
class Response:
    """An answer to send. ``body`` may be an iterable of chunks, streamed as it is produced."""

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # Content-Length of a streamed body; None: close to end it


@dataclass(frozen=True)
class Hangup:
    """No answer: wait ``after`` seconds, then reset the connection."""

    after: float = 0.0


Answer = Response | Hangup


class Refused(Exception):
    """Raised by a handler to stop processing a request and send ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    route: str | None
    at: float = field(default_factory=time.time)
    fault: Fault | None = None
    # Multipart requests: the text fields, and how each image field was sent
    # ("file", "base64" or "url").
    form: dict[str, str] = field(default_factory=dict)
    input_modes: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(data).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def html_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    phrase = f"{status} {HTTPStatus(status).phrase}"
    page = f"<html><head><title>{phrase}</title></head><body><h1>{phrase}</h1></body></html>"
    return Response(status, page.encode(), {"Content-Type": "text/html", **(headers or {})})


def xml_error(status: int, code: str, message: str) -> Response:
    """An error as S3-style storage answers it (presigned upload and download URLs)."""
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(status, body.encode(), {"Content-Type": "application/xml"})


def new_id() -> str:
    """An id shaped like the cuids Magic Hour returns."""
    alphabet = string.ascii_lowercase + string.digits
    return "c" + "".join(secrets.choice(alphabet) for _ in range(24))


def bearer_token(record: RecordedRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None if there is no such header."""
    scheme, _, token = (record.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def parse_form(content_type: str, body: bytes) -> dict[str, list[bytes]] | None:
    """The values of a ``multipart/form-data`` body by field name, or None if it isn't one.

    The ``cgi`` module is gone from the standard library; the email parser reads the same
    MIME structure.
    """
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    fields: dict[str, list[bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            data = part.get_payload(decode=True)
            fields.setdefault(name, []).append(data if isinstance(data, bytes) else b"")
    return fields


def open_image(data: bytes | None) -> Image.Image | None:
    """The decoded image, or None when the bytes are not a picture Pillow can read."""
    if not data:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return image


def render_result(person: bytes | None, garment: bytes | None, fmt: str = "PNG") -> bytes:
    """A stand-in result: the person (or a drawn figure) wearing the garment on the torso."""
    canvas = open_image(person)
    if canvas is None:
        canvas = Image.new("RGB", (512, 768), (228, 230, 236))
        draw = ImageDraw.Draw(canvas)
        draw.ellipse((206, 60, 306, 180), fill=(205, 170, 140))
        draw.rectangle((156, 190, 356, 500), fill=(90, 110, 150))
        draw.rectangle((176, 500, 246, 740), fill=(50, 50, 70))
        draw.rectangle((266, 500, 336, 740), fill=(50, 50, 70))
    canvas = canvas.convert("RGB")
    width, height = canvas.size
    box = (int(width * 0.3), int(height * 0.25), int(width * 0.7), int(height * 0.65))
    cloth = open_image(garment)
    if cloth is None:
        ImageDraw.Draw(canvas).rectangle(box, fill=(200, 40, 60))
    else:
        canvas.paste(cloth.convert("RGB").resize((box[2] - box[0], box[3] - box[1])), box[:2])
    ImageDraw.Draw(canvas).text((8, 8), "EMULATOR", fill=(255, 255, 255))
    out = io.BytesIO()
    canvas.save(out, fmt)
    return out.getvalue()


def _oversized_chunks(size: int) -> Iterator[bytes]:
    # A PNG signature first, so the download passes a naive sniff and only a size cap stops it.
    head = b"\x89PNG\r\n\x1a\n"
    yield head
    sent = len(head)
    zeros = bytes(_CHUNK)
    while sent < size:
        chunk = zeros[: min(_CHUNK, size - sent)]
        yield chunk
        sent += len(chunk)


def _without_fields(answer: Response, fields: Iterable[str]) -> Response:
    """``answer`` with dotted JSON fields removed (everything, if ``fields`` is empty).

    A number in a path is a list index: ``predictions.0.bytesBase64Encoded``."""
    data = json.loads(bytes(answer.body)) if isinstance(answer.body, bytes) and answer.body else {}
    paths = [path.split(".") for path in fields]
    if not paths:
        data = {}
    for *parents, leaf in paths:
        node = data
        for key in parents:
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(leaf, None)
    return json_response(
        data, answer.status, {k: v for k, v in answer.headers.items() if k != "Content-Type"}
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a fault must not block shutdown
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services and requests.Session use
    server: _Server

    def do_GET(self) -> None:
        self.server.emulator._dispatch(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the emulator logs each request itself, with its route and fault."""


class Emulator(abc.ABC):
    """A loopback HTTP server speaking one provider's API; use it as a context manager.

    Attributes read at request time, so a test may change them while it runs: ``api_key``,
    ``latency``.
    """

    name: ClassVar[str]
    routes: ClassVar[tuple[str, ...]]
    faults: ClassVar[dict[str, FaultSpec]] = COMMON_FAULTS

    def __init__(self, *, api_key: str, latency: float = 0.0, port: int = 0) -> None:
        self.api_key = api_key
        self.latency = latency
        self._port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.create_calls = 0
        self._faults: list[_Pending] = []

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.emulator = self
        server = self._server
        self._spawn(lambda: server.serve_forever(poll_interval=0.05))  # stop() returns promptly
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a latency or a timeout fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, name=f"{self.name}-emulator", daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"The {self.name} emulator is not running.")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sleep(self, seconds: float) -> None:
        """Sleep, but return at once when the emulator stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- faults ------------------------------------------------------------------------

    def inject(
        self, fault: str, *, times: int = 1, route: str | None = None, **params: Any
    ) -> None:
        """Answer the next ``times`` requests on ``route`` with ``fault`` instead of normally.

        Faults are consumed in the order they were injected. ``route`` is one of ``routes``
        or ``"any"``; it defaults to the only route a fault applies to, else ``"any"``.
        Parameters and their defaults are in ``faults``.
        """
        spec = self.faults.get(fault)
        if spec is None:
            raise ValueError(f"Unknown fault {fault!r}; choose from {', '.join(self.faults)}.")
        unknown = set(params) - set(spec.defaults)
        if unknown:
            takes = sorted(spec.defaults) or "no parameters"
            raise TypeError(f"Fault {fault!r} takes {takes}, not {sorted(unknown)}.")
        route = route or (spec.routes[0] if spec.routes and len(spec.routes) == 1 else "any")
        allowed = spec.routes or (*self.routes, "any")
        if route not in allowed:
            raise ValueError(
                f"Fault {fault!r} applies to routes {', '.join(allowed)}, not {route!r}."
            )
        with self._lock:
            self._faults.append(_Pending(Fault(fault, route, {**spec.defaults, **params}), times))

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return [pending.fault for pending in self._faults]

    def _take_fault(self, route: str | None) -> Fault | None:
        if route is None:
            return None
        with self._lock:
            for pending in self._faults:
                fault = pending.fault
                spec = self.faults[fault.kind]
                if fault.route == route or (
                    fault.route == "any" and (spec.routes is None or route in spec.routes)
                ):
                    pending.times -= 1
                    if pending.times <= 0:
                        self._faults.remove(pending)
                    return fault
        return None

    def reset(self) -> None:
        """Forget requests, violations, counters, pending faults and provider state."""
        with self._lock:
            self.requests.clear()
            self.violations.clear()
            self.create_calls = 0
            self._faults.clear()

    # -- request handling --------------------------------------------------------------

    @abc.abstractmethod
    def route_for(self, method: str, path: str) -> str | None:
        """The route name of a request, or None when the path is not part of the API."""

    @abc.abstractmethod
    def handle(self, record: RecordedRequest) -> Answer:
        """The emulator's own answer, which may look at ``record.fault`` for provider faults."""

    @abc.abstractmethod
    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """An HTTP error in the provider's own JSON shape (``message`` defaults to the phrase)."""

    def _refuse(
        self,
        record: RecordedRequest,
        status: int,
        message: str,
        *,
        violation: bool = True,
        **details: Any,
    ) -> NoReturn:
        """Stop handling ``record`` and answer an error: a violation unless ``violation`` is
        False (a refusal the client could not have avoided: a wrong key, no credits...)."""
        if violation:
            self.violate(record, message)
        raise Refused(self.error_response(status, message, **details))

    def _authenticate(
        self, record: RecordedRequest, *, missing: str = "Unauthorized", wrong: str = "Unauthorized"
    ) -> None:
        """A Bearer key: none is a client bug (a violation), a wrong one is not."""
        token = bearer_token(record)
        if token is None:
            self._refuse(record, 401, missing)
        if not hmac.compare_digest(token, self.api_key):
            self._refuse(record, 401, wrong, violation=False)

    def _json_body(self, record: RecordedRequest, status: int) -> Any:
        """The request's JSON body, or the error ``status`` for one that isn't JSON."""
        if (record.headers.get_content_type() or "") != "application/json":
            self._refuse(record, status, "Content-Type must be application/json")
        try:
            return record.json()
        except ValueError:
            self._refuse(record, status, "The body is not JSON")

    def violate(self, record: RecordedRequest, message: str) -> None:
        text = f"{record.method} {record.path}: {message}"
        logger.warning("%s emulator: contract violation: %s", self.name, text)
        with self._lock:
            self.violations.append(text)

    def url(self, path: str) -> str:
        return self.base_url + path

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Answer | None:
        """The answer a fault gives instead of the normal one; None if it alters the normal one."""
        params = fault.params
        match fault.kind:
            case "http_error":
                retry_after = params["retry_after"]
                headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
                return self.error_response(params["status"], params["message"], headers)
            case "html":
                return html_response(params["status"])
            case "timeout":
                return Hangup(after=params["seconds"])
            case "reset":
                return Hangup()
            case "malformed_json":
                return Response(
                    params["status"], b'{"id": "cm0trunc', {"Content-Type": "application/json"}
                )
            case "redirect":
                return Response(params["status"], headers={"Location": params["location"]})
            case "expired":
                return xml_error(params["status"], "AccessDenied", "Request has expired")
            case "oversized":
                size = params["size"]
                return Response(
                    200,
                    _oversized_chunks(size),
                    {"Content-Type": "image/png"},
                    length=size if params["declare_length"] else None,
                )
            case "not_image":
                return replace(html_response(200), headers={"Content-Type": params["content_type"]})
        return None

    def _dispatch(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        record = RecordedRequest(
            method=handler.command,
            path=url.path,
            query=parse_qs(url.query),
            headers=handler.headers,
            body=_read_body(handler),
            route=self.route_for(handler.command, url.path),
        )
        record.fault = self._take_fault(record.route)
        with self._lock:
            self.requests.append(record)
            if record.route == "create":
                self.create_calls += 1
        if record.route in ("upload", "download") and handler.headers.get("Authorization"):
            # Presigned storage URLs may live on any host: a key sent there has leaked.
            self.violate(record, "an Authorization header was sent to a storage URL")
        try:
            answer = self._answer(record)
        except Exception as exc:
            logger.exception("%s emulator failed on %s %s", self.name, record.method, record.path)
            self.violate(record, f"the emulator itself failed: {exc!r}")
            answer = html_response(500)
        status = "hang-up" if isinstance(answer, Hangup) else answer.status
        fault = f" [fault: {record.fault.kind}]" if record.fault else ""
        logger.info(
            "%s emulator: %s %s -> %s%s", self.name, record.method, record.path, status, fault
        )
        self._send(handler, answer)

    def _answer(self, record: RecordedRequest) -> Answer:
        fault = record.fault
        answer = self.fault_response(fault, record) if fault else None
        if answer is None:
            answer = self.handle(record)
        if fault and fault.kind == "missing_fields" and isinstance(answer, Response):
            answer = _without_fields(answer, fault.params["fields"])
        return answer

    def _send(self, handler: _Handler, answer: Answer) -> None:
        if isinstance(answer, Hangup):
            self.sleep(answer.after)
            # SO_LINGER 0 makes close() send RST: the client sees a connection reset.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
            handler.close_connection = True
            return
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        body = answer.body
        if isinstance(body, bytes):
            if answer.status != HTTPStatus.NO_CONTENT:
                handler.send_header("Content-Length", str(len(body)))
            body = [body]
        elif answer.length is not None:
            handler.send_header("Content-Length", str(answer.length))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        try:
            for chunk in body:
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client stopped reading, e.g. at its size cap


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
