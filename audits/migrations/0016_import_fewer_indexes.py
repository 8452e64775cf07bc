"""Fewer indexes for the history import to keep up (issue 15): no imported audit has a team, a case
holder or an audit it re-audits (and most have no case), and a grade's filter is served by walking the
newest audits (Audit.Meta.indexes)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audits", "0015_fewer_audit_indexes")]

    operations = [
        # Read by no query (the area lists use audit_area_created).
        migrations.RemoveIndex(model_name="audit", name="audit_area_state"),
        # A grade (each a tenth of audits or more): the newest audits walked in audit_created's order fill a page.
        migrations.RemoveIndex(model_name="audit", name="audit_grade_created"),
        # Only the audits that can match a team's filter.
        migrations.RemoveIndex(model_name="audit", name="audit_team_created"),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("team__isnull", False)),
                fields=["team", "-created_at", "-id"],
                name="audit_team_created",
            ),
        ),
        # References most audits leave empty: indexed where they are set.
        migrations.AlterField(
            model_name="audit",
            name="case_holder",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audits_as_case_holder",
                to="org.person",
            ),
        ),
        migrations.AlterField(
            model_name="audit",
            name="case",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The case-list entry audited, when the audit was allocated from the case list.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audits",
                to="audits.case",
            ),
        ),
        migrations.AlterField(
            model_name="audit",
            name="reaudit_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The Inadequate audit this re-audit follows up.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reaudits",
                to="audits.audit",
            ),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("case_holder__isnull", False)), fields=["case_holder"], name="audit_case_holder"
            ),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(condition=models.Q(("case__isnull", False)), fields=["case"], name="audit_case"),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("reaudit_of__isnull", False)), fields=["reaudit_of"], name="audit_reaudit_of"
            ),
        ),
    ]
