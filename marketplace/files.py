"""Private files (issue 8 §4): every uploaded file is served by one authenticated view.

No upload has a public URL: `/media/` is routed nowhere. Each app declares its file fields in
its own `private_files.py` (autodiscovered at start-up, like `admin.py`)::

    files.register(
        "vendor-document", model=VendorDocument, field="file",
        permission="vendors.view_vendordocument", vendor_queryset=documents_for_vendor,
    )

Who may read a file: staff with the view permission of the owning record, and vendor staff
for the rows their vendor's scoping selector returns. Everyone else gets 404 (not 403, so
IDs cannot be probed); an anonymous visitor is sent to the login page.

Registering a field also makes its `FieldFile.url` the authenticated URL, so admin file
widgets, read-only fields and templates link it without further changes. (History rows keep
the file's name as text: simple-history stores file fields as text columns.)

Delivery (setting PRIVATE_FILES_DELIVERY): "django" streams the file; "x-accel-redirect"
answers headers only and hands the transfer to nginx (an `internal` location at
PRIVATE_FILES_ACCEL_PREFIX); "storage-url" redirects to the storage's URL, which must be a
short-lived signed URL (S3-style storages with query-string auth).
"""

from __future__ import annotations

import inspect
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

__all__ = [
    "PrivateFile",
    "autodiscover",
    "file_link",
    "file_response",
    "private_file",
    "private_file_url",
    "register",
]

# Shown in the browser; everything else is downloaded (and never rendered by the browser).
INLINE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
ATTACHMENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FALLBACK_TYPE = "application/octet-stream"

DELIVERY_DJANGO = "django"
DELIVERY_X_ACCEL = "x-accel-redirect"
DELIVERY_STORAGE_URL = "storage-url"


@dataclass(frozen=True)
class PrivateFile:
    """One file field and who may read it."""

    kind: str
    model: type[models.Model]
    field: str
    # Staff need this permission (the view permission of the owning record).
    permission: str
    # (user=) -> the rows a vendor user may read; raises PermissionDenied for non-vendors.
    vendor_queryset: Callable[..., models.QuerySet] | None = None
    # The download name; the stored file's base name when not given.
    filename: Callable[[Any], str] | None = None


_BY_KIND: dict[str, PrivateFile] = {}
_BY_FIELD: dict[tuple[str, str], PrivateFile] = {}


class PrivateFieldFile(FieldFile):
    """A stored file whose URL is the authenticated view, never the storage's public URL."""

    @property
    def url(self) -> str:
        self._require_file()
        return private_file_url(self.instance, self.field.name)

    @property
    def basename(self) -> str:
        """The file's own name, without the upload folders (for link texts)."""
        return posixpath.basename(self.name or "")


def register(
    kind: str,
    *,
    model: type[models.Model],
    field: str,
    permission: str,
    vendor_queryset: Callable[..., models.QuerySet] | None = None,
    filename: Callable[[Any], str] | None = None,
) -> PrivateFile:
    entry = PrivateFile(kind, model, field, permission, vendor_queryset, filename)
    _BY_KIND[kind] = entry
    _BY_FIELD[(model._meta.label_lower, field)] = entry
    model._meta.get_field(field).attr_class = PrivateFieldFile
    return entry


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("private_files")


def private_file_url(instance: models.Model, field: str) -> str:
    entry = _BY_FIELD[(instance._meta.label_lower, field)]
    if instance.pk is None:
        return ""
    return reverse("private-file", args=[entry.kind, instance.pk])


def file_link(file: FieldFile | None, label: str = "") -> SafeString | str:
    """An admin cell or field: the file's own name linking the authenticated view (new tab)."""
    if not file:
        return "-"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        file.url,
        label or posixpath.basename(file.name),
    )


def readable_rows(entry: PrivateFile, user: Any) -> models.QuerySet:
    """The rows of `entry.model` that `user` may read the file of (none for strangers)."""
    if not user.is_authenticated or not user.is_active:
        return entry.model._default_manager.none()
    if user.is_staff and user.has_perm(entry.permission):
        return entry.model._default_manager.all()
    if entry.vendor_queryset is not None:
        try:
            return entry.vendor_queryset(user=user)
        except PermissionDenied:
            pass
    return entry.model._default_manager.none()


# Our own pages frame documents (the onboarding review shows them inline); the legacy
# header agrees with the CSP's frame-ancestors 'self' instead of the site-wide DENY.
@xframe_options_sameorigin
@require_safe
def private_file(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The one door to every uploaded file (issue 8 §4); 404 for whoever may not read it."""
    entry = _BY_KIND.get(kind)
    if entry is None:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    allowed = readable_rows(entry, request.user)
    record = allowed.filter(pk=pk).first()
    if record is None:
        raise Http404
    return file_response(getattr(record, entry.field), filename=_filename(entry, record))


def _filename(entry: PrivateFile, record: Any) -> str:
    if entry.filename is not None:
        name = entry.filename(record)
        if name:
            return name
    return posixpath.basename(getattr(record, entry.field).name or "")


def content_type_for(name: str) -> tuple[str, bool]:
    """(content type, shown inline) from the stored name, whose type the upload validated."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in INLINE_TYPES:
        return INLINE_TYPES[extension], True
    return ATTACHMENT_TYPES.get(extension, FALLBACK_TYPE), False


def file_response(file: FieldFile, *, filename: str = "") -> HttpResponse:
    """The file with safe headers, delivered as PRIVATE_FILES_DELIVERY says.

    The caller has already decided the user may read it.
    """
    if not file:
        raise Http404
    filename = filename or posixpath.basename(file.name)
    content_type, inline = content_type_for(file.name)
    disposition = content_disposition_header(not inline, filename)
    mode = getattr(settings, "PRIVATE_FILES_DELIVERY", DELIVERY_DJANGO)
    if mode == DELIVERY_X_ACCEL:
        response: HttpResponse = HttpResponse(content_type=content_type)
        prefix = getattr(settings, "PRIVATE_FILES_ACCEL_PREFIX", "/protected-media/")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(file.name)
    elif mode == DELIVERY_STORAGE_URL:
        response = HttpResponseRedirect(_signed_url(file, disposition, content_type))
    else:
        try:
            handle = file.storage.open(file.name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    # Documents are personal data: never kept by shared caches or proxies.
    response["Cache-Control"] = "private, no-store"
    return response


def _signed_url(file: FieldFile, disposition: str, content_type: str) -> str:
    """The storage's URL; S3-style storages sign it and carry our headers in it."""
    storage = file.storage
    expiry = int(getattr(settings, "PRIVATE_FILES_URL_EXPIRY", 300))
    parameters = inspect.signature(storage.url).parameters
    if "parameters" in parameters:  # django-storages S3Storage
        return storage.url(
            file.name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            expire=expiry,
        )
    return storage.url(file.name)
