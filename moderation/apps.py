from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self):
        # Moderation plugs into audits' extension points; audits never imports moderation
        # (docs/architecture.md, "Dependency direction").
        from audits.cycle import escalation_views, escalations

        from .qa_review import review_timeline
        from .qa_review_forms import ReviewForm

        escalations.timeline_source_add(review_timeline)
        escalation_views.review_form_register(ReviewForm)
