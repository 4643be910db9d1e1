"""A requests-based base for providers that speak HTTP.

It owns what every HTTP provider shares: one ``Session`` per instance, a timeout on every
call, the mapping of HTTP failures onto our error kinds (honouring ``Retry-After``), and a
safe download of results: streamed to a spooled temporary file with a byte cap, checked to
be an image, following redirects only to public addresses.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests
from django.utils import timezone

from ..conf import tryon_settings
from ..imaging import sniff_image_format
from ..lookups import parse_int
from .base import (
    AccountError,
    BaseProvider,
    ErrorCode,
    PermanentError,
    ProviderError,
    TransientError,
)

MAX_REDIRECTS = 3
CHUNK = 64 * 1024
# Downloads spill from memory to disk past this size: a 20 MB result needs ~1 MB of RAM.
SPOOL_BYTES = 1024 * 1024


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as the kernel will reach it: ``::ffff:169.254.169.254`` is 169.254.169.254."""
    address = ipaddress.ip_address(text.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return [_address(str(info[4][0])) for info in infos]


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def is_public_host(host: str) -> bool:
    """True when every address the host resolves to is public (not loopback, private...)."""
    addresses = _resolve(host)
    return bool(addresses) and all(is_public_address(a) for a in addresses)


def is_link_local_host(host: str) -> bool:
    """True when the host resolves to a link-local address (169.254.169.254: cloud metadata)."""
    return any(address.is_link_local for address in _resolve(host))


def peer_address(response: requests.Response) -> str | None:
    """The address a streamed response's connection reached; None through a proxy.

    The socket is on the connection while it is kept alive, on the response's file once
    the server said it closes the connection (http.client hands it over then).
    """
    connection = getattr(response.raw, "connection", None)
    if getattr(connection, "proxy", None) is not None:
        return None  # a proxy resolves names itself: what it reaches is its own business
    sock = getattr(connection, "sock", None)
    if sock is None:
        raw_file = getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None)
        sock = getattr(raw_file, "_sock", None)
    try:
        return str(sock.getpeername()[0]) if sock is not None else None
    except (OSError, IndexError, AttributeError):
        return None


def capped_chunks(
    response: requests.Response,
    max_bytes: int,
    *,
    interrupted: str = ErrorCode.DOWNLOAD_FAILED,
) -> Iterator[bytes]:
    """The body of a streamed response in chunks, refused once it passes ``max_bytes``
    (``result_too_large``, before a byte is read when Content-Length says so already)."""
    declared = parse_int(response.headers.get("Content-Length"))
    if declared is not None and declared > max_bytes:
        raise PermanentError(ErrorCode.RESULT_TOO_LARGE, provider_code="content_length")
    size = 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise PermanentError(ErrorCode.RESULT_TOO_LARGE, provider_code="streamed")
            yield chunk
    except requests.RequestException:
        raise TransientError(interrupted, provider_code="interrupted") from None


class HttpProvider(BaseProvider):
    """Base for providers reached over HTTP(S) with an API key."""

    default_base_url: str = ""
    options_schema = {
        "BASE_URL": "API root; point it at an emulator in development",
        "ALLOW_PRIVATE_URLS": "download from loopback and private addresses (emulators only)",
    }

    def __init__(self, alias: str, **options: Any) -> None:
        super().__init__(alias, **options)
        self._session: requests.Session | None = None

    @property
    def base_url(self) -> str:
        return str(self.option("BASE_URL", self.default_base_url)).rstrip("/")

    @property
    def allow_private_urls(self) -> bool:
        return bool(self.option("ALLOW_PRIVATE_URLS", False))

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "django-tryon"
            self._session = session
        return self._session

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.option('API_KEY', '')}"}

    # Calling the API -------------------------------------------------------------------

    def call(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        """One HTTP call; connection failures become ``TransientError``. Never raises on status."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        headers = {**(self.auth_headers() if auth else {}), **kwargs.pop("headers", {})}
        try:
            return self.session.request(
                method,
                url,
                headers=headers,
                timeout=kwargs.pop("timeout", self.timeout),
                allow_redirects=False,
                **kwargs,
            )
        except requests.Timeout:
            raise TransientError(ErrorCode.TIMEOUT) from None
        except requests.RequestException:
            # The exception text may carry the URL and headers: keep it out of messages.
            raise TransientError(ErrorCode.CONNECTION_ERROR) from None

    def json_or_error(self, response: requests.Response) -> Any:
        """The JSON body of a successful answer, or the error that the status means."""
        if response.status_code >= 400:
            raise self.error_for(response)
        return self.parse_json(response)

    @staticmethod
    def parse_json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                ErrorCode.BAD_RESPONSE, provider_code=f"http_{response.status_code}"
            ) from None

    def error_for(self, response: requests.Response) -> ProviderError:
        """Map an HTTP error status onto our kinds. Providers refine with the body."""
        status = response.status_code
        code = f"http_{status}"
        message = self.error_message(response)
        if status == 429:
            return TransientError(
                ErrorCode.RATE_LIMITED,
                provider_code=code,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500 or status in (408, 425):
            return TransientError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                provider_code=code,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403):
            return AccountError(ErrorCode.AUTH_FAILED, provider_code=code)
        if status == 402:
            return AccountError(ErrorCode.INSUFFICIENT_CREDITS, provider_code=code)
        return PermanentError(ErrorCode.INVALID_INPUT, message or None, provider_code=code)

    @staticmethod
    def error_message(response: requests.Response) -> str:
        """A provider's own error text from a JSON body, if any (never our request)."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            for key in ("message", "msg", "error", "detail"):
                value = body.get(key)
                if isinstance(value, str):
                    return value[:500]
                if isinstance(value, dict) and isinstance(value.get("message"), str):
                    return value["message"][:500]
        return ""

    # Downloading results ---------------------------------------------------------------

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PermanentError(
                ErrorCode.URL_NOT_ALLOWED, provider_code=parts.scheme or "no_scheme"
            )
        if not self.allow_private_urls and not is_public_host(parts.hostname):
            raise PermanentError(ErrorCode.URL_NOT_ALLOWED, provider_code="private_address")
        # ALLOW_PRIVATE_URLS is for emulators on loopback; cloud metadata stays out of reach.
        if self.allow_private_urls and is_link_local_host(parts.hostname):
            raise PermanentError(ErrorCode.URL_NOT_ALLOWED, provider_code="link_local_address")

    def check_peer(self, response: requests.Response) -> None:
        """Refuse an answer that came from a private address, before a byte of it is read.

        The name is resolved twice, by ``check_url`` and by the connection: a name that
        changes its answer in between (DNS rebinding) is caught here. The request itself
        has gone out by then (a GET, without credentials); its answer is never used.
        """
        if self.allow_private_urls:
            return
        peer = peer_address(response)
        if peer is not None and not is_public_address(_address(peer)):
            response.close()
            raise PermanentError(ErrorCode.URL_NOT_ALLOWED, provider_code="private_peer")

    @contextmanager
    def download(self, url: str, *, max_bytes: int | None = None) -> Iterator[IO[bytes]]:
        """Stream ``url`` into a spooled temporary file, checked and capped.

        Redirects are followed by hand so that each hop is checked against private
        addresses. Yields the file rewound to its start; it is deleted on exit.
        """
        max_bytes = max_bytes or tryon_settings.MAX_RESULT_BYTES
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            response = self.call("GET", url, auth=False, stream=True)
            self.check_peer(response)
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                response.close()
                continue
            break
        else:
            raise TransientError(ErrorCode.DOWNLOAD_FAILED, provider_code="too_many_redirects")
        with response, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            if response.status_code >= 400:
                raise DownloadError(response.status_code)
            for chunk in capped_chunks(response, max_bytes):
                spool.write(chunk)
            spool.seek(0)
            if sniff_image_format(spool.read(32)) is None:
                raise PermanentError(ErrorCode.RESULT_NOT_IMAGE)
            spool.seek(0)
            yield spool


class DownloadError(TransientError):
    """The result URL answered with an HTTP error (403/404 often means it expired)."""

    def __init__(self, status: int) -> None:
        super().__init__("download_failed", provider_code=f"http_{status}")
        self.status = status
