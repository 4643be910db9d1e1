"""SSRF: a provider-returned URL to a private address is refused, directly or by redirect.

The targets: 127.0.0.1, 10.0.0.0/8, 169.254.169.254 (cloud metadata), [::1], file://, and
the spellings that reach them (localhost, 2130706433, 0x7f.1, [::ffff:127.0.0.1],
[::ffff:169.254.169.254], 0.0.0.0...). For each provider, as the URL of a result and of
an upload (Magic Hour hands out upload URLs), with and without ALLOW_PRIVATE_URLS: with
it (emulators on loopback) private addresses are reachable but cloud metadata never is.

Redirects need a public first hop: a fake name, ``cdn.provider.test``, resolves to the
loopback server here (the resolver is patched; nothing leaves the machine). A canary
server stands for the internal service: it must never be reached.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from django_tryon.checks import check_settings
from django_tryon.providers import http as http_module
from django_tryon.providers.base import JobState, PermanentError, ProviderError, ProviderJob
from django_tryon.providers.changeclothes import ChangeClothesProvider
from django_tryon.providers.magichour import MagicHourProvider
from tests.fixtures import make_image
from tests.providers.support import tryon_request
from tests.reliability.figures import record

PNG = make_image((64, 64), "PNG", person=False)
PUBLIC_NAME = "cdn.provider.test"
PUBLIC_IP = "93.184.216.34"  # what the fake name resolves to when the app checks it


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]
    routes: dict[str, tuple[int, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append(f"{self.command} {self.path}")
        status, headers, body = self.server.routes.get(self.path, (200, {}, PNG))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve() -> _Server:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.hits, server.routes = [], {}
    threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True).start()
    return server


@pytest.fixture
def cdn() -> Iterator[_Server]:
    """The provider's 'public' CDN (really on loopback)."""
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def canary() -> Iterator[_Server]:
    """An internal service on a private address: no request may ever reach it."""
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_name(monkeypatch: Any) -> dict[str, list[str]]:
    """``cdn.provider.test`` resolves, in turn, to the addresses in the returned lists.

    ``answers["check"]`` is what the app's address check sees, ``answers["connect"]`` what
    the HTTP connection then gets: equal for an honest name, different for DNS rebinding.
    """
    real = socket.getaddrinfo
    answers = {"check": [PUBLIC_IP], "connect": ["127.0.0.1"]}

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != PUBLIC_NAME:
            return real(host, *args, **kwargs)
        import inspect

        caller = inspect.stack()[1].frame.f_globals.get("__name__", "")
        address = answers["check" if caller == http_module.__name__ else "connect"][0]
        port = args[0] if args else kwargs.get("port") or 0
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


@pytest.fixture
def cdn_is_public(cdn: _Server, monkeypatch: Any) -> None:
    """The CDN's answers come from its public address (as they would off this machine)."""
    real = http_module.peer_address
    port = cdn.server_address[1]

    def peer(response: Any) -> str | None:
        return PUBLIC_IP if f"{PUBLIC_NAME}:{port}" in response.url else real(response)

    monkeypatch.setattr(http_module, "peer_address", peer)


PRIVATE = [
    "http://127.0.0.1:{port}/out.png",
    "http://localhost:{port}/out.png",
    "http://2130706433:{port}/out.png",
    "http://0x7f.1:{port}/out.png",
    "http://0.0.0.0:{port}/out.png",
    "http://[::1]:{port}/out.png",
    "http://[::ffff:127.0.0.1]:{port}/out.png",
    "http://10.0.0.1/out.png",
    "http://10.255.255.254/out.png",
    "http://192.168.1.1/out.png",
    "http://172.16.0.1/out.png",
    "http://100.64.0.1/out.png",
]
METADATA = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[fe80::1]/x.png",
]
SCHEMES = [
    "file:///etc/passwd",
    "ftp://10.0.0.1/x.png",
    "gopher://127.0.0.1:6379/_INFO",
    "//10.0.0.1/x",
]


def providers(allow: bool) -> list[Any]:
    common = {"API_KEY": "k", "ALLOW_PRIVATE_URLS": allow, "TIMEOUT": 2}
    return [
        MagicHourProvider("magichour", BASE_URL="https://api.magichour.ai", **common),
        ChangeClothesProvider("changeclothes", BASE_URL="https://changeclothesai.online", **common),
    ]


def fetch(provider: Any, url: str) -> bytes:
    job = ProviderJob(id="p1", state=JobState.SUCCEEDED, result_url=url, data={"result_url": url})
    if isinstance(provider, MagicHourProvider):
        provider.fresh_url = lambda job: url  # an expired URL is "refreshed" to the same place
    with provider.open_result(job, tryon_request()) as stream:
        return stream.read()


def refused(provider: Any, url: str) -> bool:
    try:
        fetch(provider, url)
    except PermanentError as error:
        return error.code == "url_not_allowed"
    except ProviderError:
        return False  # tried to connect: not refused
    return False


@pytest.mark.parametrize("allow", [False, True], ids=["default", "ALLOW_PRIVATE_URLS"])
def test_result_urls_to_private_addresses(canary, allow):
    probes = 0
    for provider in providers(allow):
        for template in PRIVATE:
            url = template.format(port=canary.server_address[1])
            if not allow:
                assert refused(provider, url), (provider.alias, url)
            probes += 1
        for url in METADATA + SCHEMES:
            assert refused(provider, url), (provider.alias, url, allow)
            probes += 1
    if not allow:
        assert canary.hits == []
    record("security_probes", ssrf=probes)


@pytest.mark.parametrize(
    "target", ["canary", *METADATA[:3], "file:///etc/passwd", "http://10.0.0.1/x.png"]
)
def test_redirects_from_a_public_cdn_to_private_addresses(
    cdn, canary, public_name, cdn_is_public, target
):
    canary_url = f"http://127.0.0.1:{canary.server_address[1]}/internal.png"
    location = canary_url if target == "canary" else target
    cdn.routes["/out.png"] = (302, {"Location": location}, b"")
    url = f"http://{PUBLIC_NAME}:{cdn.server_address[1]}/out.png"
    for provider in providers(False):
        cdn.hits.clear()
        assert refused(provider, url), (provider.alias, location)
        assert cdn.hits == ["GET /out.png"]  # the public hop was followed, the next one not
    assert canary.hits == []
    record("security_probes", ssrf=2)


def test_an_honest_public_cdn_is_followed(cdn, public_name, cdn_is_public):
    """The control: the same set-up without a private hop downloads the picture."""
    cdn.routes["/a.png"] = (302, {"Location": "/out.png"}, b"")
    for provider in providers(False):
        assert fetch(provider, f"http://{PUBLIC_NAME}:{cdn.server_address[1]}/a.png") == PNG


def test_dns_rebinding_to_a_private_address_is_refused(canary, public_name):
    """The name is public when checked, private when connected to: the answer is not used."""
    public_name["check"] = [PUBLIC_IP]
    public_name["connect"] = ["127.0.0.1"]
    url = f"http://{PUBLIC_NAME}:{canary.server_address[1]}/out.png"
    for provider in providers(False):
        assert refused(provider, url), provider.alias
    record("security_probes", ssrf=2)


def test_magic_hour_upload_urls_are_checked_too(canary, monkeypatch):
    """Magic Hour's upload-urls answer says where to PUT the photo: never a private address."""
    provider = providers(False)[0]
    target = f"http://127.0.0.1:{canary.server_address[1]}/steal"
    answers = iter(
        [
            _json({"items": [{"upload_url": target, "file_path": "api-assets/x/0.jpg"}]}),
            _json({"items": [{"upload_url": METADATA[0], "file_path": "api-assets/x/1.png"}]}),
        ]
    )
    monkeypatch.setattr(provider, "call", lambda method, path, **kw: next(answers))
    for _ in range(2):
        with pytest.raises(PermanentError) as caught:
            provider.asset_path(tryon_request().person)
        assert caught.value.code == "url_not_allowed"
    assert canary.hits == []
    record("security_probes", ssrf=2)


def _json(body: Any) -> Any:
    import json

    import requests

    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_w001_warns_when_private_urls_are_allowed_without_debug(settings):
    settings.TRYON = {
        "DEFAULT_PROVIDER": "magichour",
        "PROVIDERS": {
            "magichour": {
                "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
                "API_KEY": "k",
                "ALLOW_PRIVATE_URLS": True,
            }
        },
    }
    settings.DEBUG = False
    assert "tryon.W001" in {message.id for message in check_settings()}
    settings.DEBUG = True
    assert "tryon.W001" not in {message.id for message in check_settings()}
    record("security_probes", ssrf=2)
