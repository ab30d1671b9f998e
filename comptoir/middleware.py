"""Login on every page (the API answers 401 itself); French unless the user chose otherwise."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware, except for /api/ (DRF authenticates there,
    session or token, and answers 401/403 with a JSON body) and static files."""

    open_prefixes = ("/api/", "/static/")

    def process_view(self, request, view_func, view_args, view_kwargs):  # noqa: ANN001, ANN201
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """French unless the user chose another language with the switcher (a cookie).

    Django's own middleware would follow the browser's Accept-Language; the interface of
    a French back-office is French by default, whatever language the browser reports."""

    def process_request(self, request):  # noqa: ANN001, ANN201
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
