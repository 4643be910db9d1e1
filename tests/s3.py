"""S3 without AWS: a moto server on loopback, and django-storages' S3Storage pointed at it.

``s3_server`` (session) runs ``ThreadedMotoServer`` on 127.0.0.1; ``s3_storage`` makes a
fresh private bucket and switches both of the app's storages to it (``STORAGES["default"]``
for the merchant's pictures; ``STORAGES["tryon_private"]``, under ``private/``, for job
files), returning the default's entry; a qcluster started afterwards gets both.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.availability import require_moto

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    require_moto()
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per S3 request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server: str, settings: Any) -> dict[str, Any]:
    """A new private bucket for both storages; returns the default's STORAGES entry."""
    import boto3

    bucket = f"tryon-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    entry = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **CREDENTIALS,
            "bucket_name": bucket,
            "endpoint_url": s3_server,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "signature_version": "s3v4",
        },
    }
    private = {"BACKEND": entry["BACKEND"], "OPTIONS": {**entry["OPTIONS"], "location": "private"}}
    settings.STORAGES = {**settings.STORAGES, "default": entry, "tryon_private": private}
    return entry
