"""The one door of every vendor page: signed in, and a member of exactly one vendor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from vendors.selectors import vendor_for_user


def vendor_page(view: Callable) -> Callable:
    """Log-in required; the request gets `request.vendor`, the only vendor it may see
    (`vendor_for_user` raises PermissionDenied, a 403, for anyone else)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.vendor = vendor_for_user(user=request.user)
        return view(request, *args, **kwargs)

    return wrapper
