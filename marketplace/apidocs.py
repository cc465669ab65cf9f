"""The OpenAPI schema and Swagger UI (issue 8 §3).

Swagger UI is the split variant: its start-up script comes from a URL, not an inline
`<script>`, so the page runs under the Content-Security-Policy without 'unsafe-inline'. In
production both need a staff login or an API token (`marketplace.security.ApiDocsAccess`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

from marketplace.security import docs_login_redirect


class SchemaView(SpectacularAPIView):
    pass


class SwaggerView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc: Exception) -> Any:
        redirect = docs_login_redirect(self, exc)
        if redirect is not None:
            return redirect
        # An error is the API's JSON body, never the Swagger template: rendering that would
        # run the context processors, whose `request.user` re-runs a failed token
        # authentication (a 500 for a bad token with an unacceptable Accept header).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
