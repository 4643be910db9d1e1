"""An upload handler that stops a file at the byte limit instead of spooling all of it.

The view refuses a too-large ``Content-Length`` before reading anything; this guards the
rest (a lying or missing length): the parser skips the file once it passes the limit, and
the view answers ``file_too_large``. Only one file, the ``photo`` field, is accepted.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

FLAG = "_tryon_upload_too_large"


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.files = 0

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.files += 1
        if field_name != "photo" or self.files > 1:
            raise SkipFile()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            setattr(self.request, FLAG, True)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, FLAG, False))
