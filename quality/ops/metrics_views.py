"""GET /metrics: the portal's Prometheus metrics (quality/ops/metrics.py), for the scraper only."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from quality.access import machine_token_required

from . import metrics


@never_cache  # outermost: a refusal is not kept by a proxy either
@machine_token_required("METRICS_TOKEN")
@require_safe
def metrics_view(request):
    return HttpResponse(metrics.web_exposition(), content_type=CONTENT_TYPE_LATEST)
