"""The reports' pages: archive, generation, editing and publishing (report_urls); the PDF, XLSX
and JSON downloads (output_urls)."""

from .output_urls import urlpatterns as output_patterns
from .report_urls import urlpatterns as report_patterns
from .theme_urls import urlpatterns as theme_patterns

app_name = "reports"

urlpatterns = report_patterns + output_patterns + theme_patterns
