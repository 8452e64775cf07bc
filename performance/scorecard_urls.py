"""The scorecard, indicator pages, commentary, downloads and the PDF pack (performance/scorecard_views.py).

A month is written YYYY-MM in the address ("2026-10"); the views refuse anything else with a 404.
"""

from django.urls import path

from . import scorecard_views as views

urlpatterns: list = [
    path("scorecard/", views.scorecard_page, name="scorecard"),
    *(
        path(
            f"scorecard/<str:month>/scorecard.{fmt}",
            views.scorecard_export,
            {"file_format": fmt},
            name=f"scorecard_{fmt}",
        )
        for fmt in ("csv", "xlsx", "json")
    ),
    path("scorecard/<str:month>/pack/", views.pack_request, name="pack_request"),
    path("packs/<int:pk>/", views.pack_detail, name="pack_detail"),
    path("packs/<int:pk>/download/", views.pack_download, name="pack_download"),
    path("indicators/<int:pk>/", views.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/breakdown/<str:month>/", views.indicator_breakdown, name="indicator_breakdown"),
    path("commentary/", views.commentary_month, name="commentary"),
    path("commentary/<str:month>/lock/", views.month_lock, name="month_lock"),
    path("commentary/<str:month>/<int:pk>/", views.commentary_edit, name="commentary_edit"),
]
