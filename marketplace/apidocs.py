"""The OpenAPI schema and Swagger UI (issue 8 §3).

Swagger UI is the split variant: its start-up script comes from a URL, not an inline
`<script>`, so the page runs under the Content-Security-Policy without 'unsafe-inline'. In
production both need a staff login or an API token (`marketplace.security.ApiDocsAccess`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from marketplace.security import docs_login_redirect


class SchemaView(SpectacularAPIView):
    pass


class SwaggerView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc: Exception) -> Any:
        return docs_login_redirect(self, exc) or super().handle_exception(exc)
