"""A page of the try-on admin listed in the admin's indexes as a row like a model's.

Django lists only registered models there, so a proxy model stands for the page: its
admin has no object pages (add, change, history, delete) and its changelist is the page.
Seeing it takes what seeing the jobs' list takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from ..models import TryOnJob

# Django's own rule for a changelist: view, or change (which implies view).
SEE_JOBS = [f"{TryOnJob._meta.app_label}.{action}_tryonjob" for action in ("view", "change")]

#: A view of the page's own: (route under the page, URL name's suffix, view).
PageView = tuple[str, str, Callable[[HttpRequest], HttpResponse]]


class PageEntryAdmin(admin.ModelAdmin):
    """The admin of a proxy standing for a page: ``page_view`` answers its changelist URL."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return any(request.user.has_perm(permission) for permission in SEE_JOBS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        views = [("", "changelist", self.changelist_view), *self.more_views()]
        return [path(route, wrap(view), name=f"{prefix}_{name}") for route, name, view in views]

    def more_views(self) -> list[PageView]:
        """The page's own views besides itself (each calls ``require_view`` first)."""
        return []

    def require_view(self, request: HttpRequest) -> None:
        # admin_view lets in any staff member; the page is for those who may see the jobs.
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.require_view(request)
        return self.page_view(request)

    def page_view(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError
