from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "quality.reports"
    label = "reports"
    verbose_name = "Audit analysis reports"

    def ready(self):
        # The reports plug the practice theme filter into the audit lists; audits never imports the
        # reports (docs/architecture.md, "Dependency direction").
        from evidence.tagging import themes_tagger_register

        from .themes import audit_filters_register, theme_counts_keep, theme_names_in

        audit_filters_register()
        # The same themes tag the evidence's own words (observations, survey answers) on their pages.
        themes_tagger_register(theme_names_in)
        # The practice themes' counts are kept month by month beside the audits' (audits/figure_months.py).
        theme_counts_keep()
