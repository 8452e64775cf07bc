"""The scorecard's pages: the catalogue and monthly loads (catalogue_urls), the scorecard,
indicator pages, commentary, exports and packs (scorecard_urls)."""

from .catalogue_urls import urlpatterns as catalogue_patterns
from .scorecard_urls import urlpatterns as scorecard_patterns

app_name = "performance"

urlpatterns = catalogue_patterns + scorecard_patterns
