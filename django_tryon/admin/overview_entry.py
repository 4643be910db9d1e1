"""The overview in the admin's index and the try-on app's index, as a row like a model's.

Django lists only registered models there, so a proxy model stands for the page and its
changelist URL forwards to the overview under the job admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import URLPattern, path, reverse

from ..models import TryOnJob, TryOnOverview

# Django's own rule for a changelist: view, or change (which implies view).
SEE_JOBS = [f"{TryOnJob._meta.app_label}.{action}_tryonjob" for action in ("view", "change")]


@admin.register(TryOnOverview)
class TryOnOverviewAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return any(request.user.has_perm(permission) for permission in SEE_JOBS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        # The list alone, forwarding: no object pages (add, change, history, delete).
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [path("", wrap(self.changelist_view), name="{}_{}_changelist".format(*info))]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseRedirect:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:django_tryon_tryonjob_overview")
        )
