"""Operations' pages: the health endpoint."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from quality.access import public

from . import health


@public("load balancers and monitoring ask it without signing in: it names checks, never a person or case")
@require_safe
@never_cache
def healthz(request):
    """200 when every check passes, else 503 naming the failing ones (quality/ops/health.py).

    `?check=database&check=storage` runs only those: what a load balancer asks of each web server, so
    that a late beat or a pending migration, shared by all of them, takes none out (docs/deploy.md)."""
    names = request.GET.getlist("check")
    if set(names) - set(health.CHECKS):
        return JsonResponse({"error": "unknown check", "known": list(health.CHECKS)}, status=400)
    results = health.run_checks(names)
    failing = [name for name, result in results.items() if not result.ok]
    body = {
        "status": "failing" if failing else "ok",
        "checks": {name: result.as_json() for name, result in results.items()},
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
