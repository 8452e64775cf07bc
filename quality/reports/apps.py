from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "quality.reports"
    label = "reports"
    verbose_name = "Audit analysis reports"

    def ready(self):
        # The reports plug the practice theme filter into the audit lists; audits never imports the
        # reports (docs/architecture.md, "Dependency direction").
        from .themes import audit_filters_register, theme_counts_keep

        audit_filters_register()
        # The practice themes' counts are kept month by month beside the audits' (audits/figure_months.py).
        theme_counts_keep()
