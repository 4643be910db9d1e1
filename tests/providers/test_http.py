"""The HTTP base every hosted provider shares: error classification, Retry-After, downloads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from django.utils import timezone

from django_tryon.providers.base import AccountError, PermanentError, TransientError
from django_tryon.providers.http import SPOOL_BYTES, DownloadError, HttpProvider, parse_retry_after
from tests.fixtures import make_image

KEY = "sk-test-never-shown"
PNG = make_image((64, 64), "PNG", person=False)


# A loopback server whose answers each test sets: path -> (status, headers, body or chunks).
class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], Any]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"nope"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if isinstance(body, bytes):
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Connection", "close")  # streamed: the end of the body is the close
        self.end_headers()
        try:
            for chunk in body:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    _Handler.routes = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = lambda path: f"http://127.0.0.1:{server.server_address[1]}{path}"  # type: ignore[attr-defined]
    server.routes = _Handler.routes  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def http(**options: Any) -> HttpProvider:
    return HttpProvider("test", API_KEY=KEY, ALLOW_PRIVATE_URLS=True, **options)


def response(status: int, body: bytes = b"", **headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = body
    answer.headers.update(headers)
    return answer


# Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), (" 2.5 ", 2.5), ("-3", 0.0), ("0", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_in_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_as_an_http_date():
    later = format_datetime(timezone.now() + timezone.timedelta(seconds=90), usegmt=True)
    assert 85 <= parse_retry_after(later) <= 90
    earlier = format_datetime(timezone.now() - timezone.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(earlier) == 0.0


# Classification --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (429, TransientError, "rate_limited"),
        (500, TransientError, "provider_unavailable"),
        (502, TransientError, "provider_unavailable"),
        (503, TransientError, "provider_unavailable"),
        (504, TransientError, "provider_unavailable"),
        (408, TransientError, "provider_unavailable"),
        (401, AccountError, "auth_failed"),
        (403, AccountError, "auth_failed"),
        (402, AccountError, "insufficient_credits"),
        (400, PermanentError, "invalid_input"),
        (404, PermanentError, "invalid_input"),
        (422, PermanentError, "invalid_input"),
    ],
)
def test_statuses_map_to_kinds(status, kind, code):
    error = http().error_for(response(status, b"<html>error</html>"))
    assert type(error) is kind
    assert (error.code, error.provider_code) == (code, f"http_{status}")


def test_transient_statuses_keep_retry_after():
    assert http().error_for(response(429, **{"Retry-After": "12"})).retry_after == 12
    assert http().error_for(response(503, **{"Retry-After": "4"})).retry_after == 4
    assert http().error_for(response(429)).retry_after is None


def test_a_providers_own_message_is_kept_for_permanent_errors():
    error = http().error_for(response(422, b'{"message": "bad extension"}'))
    assert error.message == "bad extension"


@pytest.mark.parametrize("body", [b"<html><body>Bad gateway</body></html>", b'{"id": "cm0tr', b""])
def test_unreadable_success_bodies_are_transient(body):
    with pytest.raises(TransientError) as caught:
        http().json_or_error(response(200, body))
    assert caught.value.code == "bad_response"


def test_connection_failures_are_transient_and_never_show_the_key():
    with pytest.raises(TransientError) as caught:
        http(BASE_URL="http://127.0.0.1:9").call("GET", "/v1/thing")
    assert caught.value.code == "connection_error"
    assert KEY not in repr(caught.value) and caught.value.__suppress_context__


def test_timeouts_are_transient(stub):
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            threading.Event().wait(2)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TransientError) as caught:
            http(TIMEOUT=0.2).call("GET", f"http://127.0.0.1:{server.server_address[1]}/")
        assert caught.value.code == "timeout"
    finally:
        server.shutdown()
        server.server_close()


# Downloads ----------------------------------------------------------------------------------------


def download(provider: HttpProvider, url: str, **kwargs: Any) -> bytes:
    with provider.download(url, **kwargs) as stream:
        return stream.read()


def test_a_download_is_streamed_without_the_key(stub):
    stub.routes["/result.png"] = (200, {"Content-Type": "image/png"}, PNG)
    assert download(http(), stub.url("/result.png")) == PNG


def test_large_downloads_spill_to_disk(stub):
    big = PNG + bytes(2 * SPOOL_BYTES)
    stub.routes["/big.png"] = (200, {}, big)
    with http().download(stub.url("/big.png")) as stream:
        assert stream._rolled  # type: ignore[attr-defined]  # on disk, not in memory
        assert stream.read(len(PNG)) == PNG


@pytest.mark.parametrize("declared", [True, False])
def test_downloads_over_the_cap_are_refused(stub, declared):
    chunks = [PNG, *[bytes(64 * 1024)] * 40]  # ~2.5 MB
    headers = {"Content-Length": str(sum(map(len, chunks)))} if declared else {}
    stub.routes["/huge.png"] = (200, headers, iter(chunks))
    with pytest.raises(PermanentError) as caught:
        download(http(), stub.url("/huge.png"), max_bytes=1024 * 1024)
    assert caught.value.code == "result_too_large"
    assert caught.value.provider_code == ("content_length" if declared else "streamed")


def test_the_cap_defaults_to_max_result_bytes(stub, settings):
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 100}
    stub.routes["/result.png"] = (200, {}, PNG)
    with pytest.raises(PermanentError):
        download(http(), stub.url("/result.png"))


@pytest.mark.parametrize("body", [b"<html>Not found</html>", b"", b"GIF8"])
def test_non_images_are_refused_even_when_labelled_as_images(stub, body):
    stub.routes["/fake.png"] = (200, {"Content-Type": "image/png"}, body)
    with pytest.raises(PermanentError) as caught:
        download(http(), stub.url("/fake.png"))
    assert caught.value.code == "result_not_image"


@pytest.mark.parametrize("status", [403, 404, 410])
def test_http_errors_are_download_errors_with_their_status(stub, status):
    stub.routes["/gone.png"] = (status, {}, b"<Error>AccessDenied</Error>")
    with pytest.raises(DownloadError) as caught:
        download(http(), stub.url("/gone.png"))
    assert caught.value.status == status
    assert isinstance(caught.value, TransientError)


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "file:///etc/passwd"],
)
def test_redirects_to_metadata_or_other_schemes_are_refused_even_with_private_urls(stub, location):
    stub.routes["/r"] = (302, {"Location": location}, b"")
    with pytest.raises(PermanentError) as caught:
        download(http(), stub.url("/r"))
    assert caught.value.code == "url_not_allowed"


def test_redirects_to_private_addresses_are_refused_by_default(stub):
    # Without ALLOW_PRIVATE_URLS the loopback server itself is out of bounds.
    with pytest.raises(PermanentError) as caught:
        download(HttpProvider("test", API_KEY=KEY), stub.url("/result.png"))
    assert caught.value.provider_code == "private_address"
    for url in ("http://10.0.0.8/x.png", "http://192.168.1.1/x.png", "http://169.254.169.254/"):
        with pytest.raises(PermanentError):
            HttpProvider("test").check_url(url)


def test_redirects_between_allowed_hosts_are_followed_a_few_times(stub):
    stub.routes["/a"] = (302, {"Location": "/b"}, b"")
    stub.routes["/b"] = (301, {"Location": stub.url("/result.png")}, b"")
    stub.routes["/result.png"] = (200, {}, PNG)
    assert download(http(), stub.url("/a")) == PNG
    stub.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(TransientError) as caught:
        download(http(), stub.url("/loop"))
    assert caught.value.provider_code == "too_many_redirects"
