"""Login is required on every page; the API answers 401 itself instead of redirecting."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware, except for /api/ (DRF authenticates there,
    session or token, and answers 401/403 with a JSON body) and static files."""

    open_prefixes = ("/api/", "/static/")

    def process_view(self, request, view_func, view_args, view_kwargs):  # noqa: ANN001, ANN201
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
