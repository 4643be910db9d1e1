"""Test-only providers and storages that SIGKILL their own process at one exact point.

No hook exists in production code for this: a ``qcluster`` subprocess imports these
classes by name (the alias's ``BACKEND``, the storage's ``BACKEND``) and they kill the
worker they run in, once per (point, job), at:

==================  ==========================================================================
``before_submit``   the job is claimed for submission; nothing was sent to the provider yet
``after_create``    the provider accepted the job and answered with its id; we saved nothing
``mid_poll``        a poll's answer arrived and was not recorded (the ticker dies with it)
``mid_download``    the first bytes of the result arrived from the provider's CDN
``mid_save``        the storage wrote the first chunk of the result (its name is not saved)
==================  ==========================================================================

A job chooses its point with the request option ``{"crash": point}`` (kept in
``provider_data`` so that polls and downloads see it). ``CRASH_DIR`` (alias option, or the
storage's ``crash_dir``) is a folder shared with the test: each kill leaves a marker file
there first, so it happens once, and the test can see that it did.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django_tryon.providers.base import ProviderJob, TryOnRequest
from django_tryon.providers.changeclothes import ChangeClothesProvider
from django_tryon.providers.fashn import FashnProvider
from django_tryon.providers.magichour import MagicHourProvider
from django_tryon.providers.vertex import VertexProvider
from django_tryon.storage import PrivateFileSystemStorage

POINTS = ("before_submit", "after_create", "mid_poll", "mid_download", "mid_save")

# Set by a provider when the next storage save of this process is to be cut off.
_armed_save: dict[str, str] = {}


def crash_once(directory: str | os.PathLike[str], point: str, key: str) -> None:
    """SIGKILL this process, unless this (point, key) has crashed once already."""
    marker = Path(directory) / f"{point}--{key}".replace("/", "_")
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def crashes(directory: str | os.PathLike[str]) -> list[str]:
    """The (point--key) markers of the kills that happened."""
    return sorted(p.name for p in Path(directory).iterdir())


class _KilledMidStream:
    """A file object that kills the process once the first chunk has been read."""

    def __init__(self, wrapped: IO[bytes], kill: Any) -> None:
        self._wrapped = wrapped
        self._kill = kill
        self._reads = 0

    def read(self, size: int = -1) -> bytes:
        if self._reads >= 1:
            self._kill()
        data = self._wrapped.read(size)
        if data:
            self._reads += 1
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


class CrashingMixin:
    """What both providers share: the crash points around submit, poll and download."""

    options_schema = {"CRASH_DIR": "folder of the once-only crash markers"}

    def _crash_dir(self) -> str:
        return str(self.option("CRASH_DIR"))  # type: ignore[attr-defined]

    def _crash(self, wanted: str, data_or_options: dict[str, Any], key: str) -> None:
        if data_or_options.get("crash") == wanted:
            crash_once(self._crash_dir(), wanted, key)

    def submit(self, request: TryOnRequest) -> ProviderJob:
        self._crash("before_submit", request.options, request.name)
        pjob: ProviderJob = super().submit(request)  # type: ignore[misc]
        if request.options.get("crash"):
            pjob.data["crash"] = request.options["crash"]
        self._crash("after_create", request.options, request.name)
        return pjob

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        point = job.data.get("crash") or request.options.get("crash")
        if point == "mid_download":
            self._download_kill = request.name
        if point == "mid_save":
            _armed_save["key"] = request.name
            _armed_save["dir"] = self._crash_dir()
        try:
            with super().open_result(job, request) as stream:  # type: ignore[misc]
                yield stream
        finally:
            self._download_kill = None
            _armed_save.clear()

    _download_kill: str | None = None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = super().call(method, path, **kwargs)  # type: ignore[misc]
        key = self._download_kill
        if key and kwargs.get("stream") and response.status_code == 200:
            chunks = response.iter_content

            def iter_content(*args: Any, **kw: Any) -> Iterator[bytes]:
                for chunk in chunks(*args, **kw):
                    crash_once(self._crash_dir(), "mid_download", key)
                    yield chunk

            response.iter_content = iter_content
        return response


class CrashingMagicHour(CrashingMixin, MagicHourProvider):
    def poll(self, job: ProviderJob) -> ProviderJob:
        project = self.get_project(job.id)
        # The answer is in; nothing of it is recorded yet.
        self._crash("mid_poll", job.data, job.id)
        return self.project_job(project, job.data)


class CrashingChangeClothes(CrashingMixin, ChangeClothesProvider):
    """Synchronous: no polls, so ``mid_poll`` never fires."""


class CrashingFashn(CrashingMixin, FashnProvider):
    def poll(self, job: ProviderJob) -> ProviderJob:
        status = self.status_answer(job.id)
        # The answer is in; nothing of it is recorded yet.
        self._crash("mid_poll", job.data, job.id)
        return self.status_job(status, job.id, job.data)


class CrashingVertex(CrashingMixin, VertexProvider):
    """Synchronous, with the picture in the answer: no poll, no download to kill."""


class CrashingFileSystemStorage(PrivateFileSystemStorage):
    """Kills the process after the first chunk of an armed save reached the disk."""

    def _save(self, name: str, content: Any) -> str:
        key, directory = _armed_save.get("key"), _armed_save.get("dir")
        if key and directory and "/results/" in f"/{name}":
            content.file = _KilledMidStream(
                content.file, lambda: crash_once(directory, "mid_save", key)
            )
        return super()._save(name, content)
