"""Reads about audit tools shared by views, through the access rules."""

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from quality.access import visible

from .models import AuditTool, Section, ToolVersion


def tools_for(user) -> QuerySet[AuditTool]:
    return (
        visible(user, AuditTool.objects.select_related("service_area"))
        .annotate(
            published_number=Max("versions__number", filter=Q(versions__state=ToolVersion.State.PUBLISHED)),
            draft_count=Count("versions", filter=Q(versions__state=ToolVersion.State.DRAFT)),
        )
        .order_by("service_area__name", "name")
    )


def version_sections_with_questions(version: ToolVersion) -> QuerySet[Section]:
    return version.sections.prefetch_related(Prefetch("questions"))
