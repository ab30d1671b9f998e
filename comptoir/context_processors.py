from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, object]:
    """What the application shell needs on every page: the current section."""
    match = getattr(request, "resolver_match", None)
    return {"nav_section": (match.namespace or match.url_name) if match else ""}
