"""Who gets what on every page: a GET of each URL of the project, as each role and as a stranger.

The matrix below is the expected answer written out as data (not computed from quality/access.py),
so a wrong rule there shows up here. Reading it:

- columns: an anonymous visitor, then one person per role. practitioner, practice manager, service
  lead, moderator and performance officer hold their role in the "own" service area; the others
  hold theirs across all areas (no area).
- `object`: `-` for a page without an object; `own` / `other` for a page about an object (service
  area, team, person holding a role only in that area, membership, audit tool and its parts) in
  the own or in the other service area.
- Lines starting with # are headings.
- 302: sent to sign in; 401: signed out, said to a script (the autosave) instead of that redirect;
  200: page shown; 403: the role may not; 404: the object is outside the person's service areas
  (or the page is switched off, as single sign-on's are until it is set up);
  405: the page only takes POST.

Every URL name the project's resolver knows (Django's admin and static files aside) must have rows
here, and every row must name such a URL: adding a page without deciding who may see it fails.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import AuditDocument, AuditParticipant
from moderation.models import Panel, PanelItem
from quality.evaluation.models import TriangulationRule
from quality.org.models import Role
from quality.reports.models import PracticeTheme

from .factories import TeamFactory, person_with_role

MATRIX = """
url name                       object  anon prac pm   sl   mod  perf hos  qao  qal  sen  adm  ro   pa
home                           -       302  200  200  200  200  200  200  200  200  200  200  200  200
login                          -       200  200  200  200  200  200  200  200  200  200  200  200  200
logout                         -       405  405  405  405  405  405  405  405  405  405  405  405  405
password_reset                 -       200  200  200  200  200  200  200  200  200  200  200  200  200
password_reset_done            -       200  200  200  200  200  200  200  200  200  200  200  200  200
password_reset_confirm         -       200  200  200  200  200  200  200  200  200  200  200  200  200
password_reset_complete        -       200  200  200  200  200  200  200  200  200  200  200  200  200
invitation_accept              -       200  200  200  200  200  200  200  200  200  200  200  200  200
password_change                -       302  200  200  200  200  200  200  200  200  200  200  200  200
password_change_done           -       302  200  200  200  200  200  200  200  200  200  200  200  200
# -- single sign-on: not set up in the test settings (tests/sso/ set it up against a real provider) --
oidc_authentication_init       -       404  404  404  404  404  404  404  404  404  404  404  404  404
oidc_authentication_callback   -       404  404  404  404  404  404  404  404  404  404  404  404  404
notification_list              -       302  200  200  200  200  200  200  200  200  200  200  200  200
notifications_mark_read        -       302  405  405  405  405  405  405  405  405  405  405  405  405
# -- the Prometheus scraper's endpoint: off until METRICS_TOKEN is set (tests/ops/test_metrics.py sets it) --
metrics                        -       404  404  404  404  404  404  404  404  404  404  404  404  404
# -- the health endpoint: public on purpose (quality.access.public), the same answer for everyone. 503 here:
#    no beat runs in this test, so its heartbeat check fails (tests/ops/test_health.py has the 200) --
healthz                        -       503  503  503  503  503  503  503  503  503  503  503  503  503

org:service_area_list          -       302  200  200  200  200  200  200  200  200  200  200  200  403
org:service_area_create        -       302  403  403  403  403  403  403  403  403  403  200  403  403
org:service_area_detail        own     302  200  200  200  200  200  200  200  200  200  200  200  403
org:service_area_detail        other   302  404  404  404  404  404  200  200  200  200  200  200  403
org:service_area_edit          own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:service_area_edit          other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:service_area_retire        own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:service_area_retire        other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:service_area_reactivate    own     302  403  403  403  403  403  403  403  403  403  405  403  403
org:service_area_reactivate    other   302  403  403  403  403  403  403  403  403  403  405  403  403
org:team_create                own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:team_create                other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:team_edit                  own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:team_edit                  other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_list                -       302  403  403  200  403  403  200  200  200  200  200  403  403
org:person_create              -       302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_detail              own     302  403  403  200  403  403  200  200  200  200  200  403  403
org:person_detail              other   302  403  403  404  403  403  200  200  200  200  200  403  403
org:person_edit                own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_edit                other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_deactivate          own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_deactivate          other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_reactivate          own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_reactivate          other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:membership_add             own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:membership_add             other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:membership_end             own     302  403  403  403  403  403  403  403  403  403  200  403  403
org:membership_end             other   302  403  403  403  403  403  403  403  403  403  200  403  403
org:person_invite              own     302  403  403  403  403  403  403  403  403  403  405  403  403
org:person_invite              other   302  403  403  403  403  403  403  403  403  403  405  403  403
# -- the quarterly access review (issue 12) --
org:access_review              -       302  403  403  403  403  403  403  403  403  403  200  403  403
org:access_review_export       -       302  403  403  403  403  403  403  403  403  403  200  403  403
org:access_review_decide       own     302  403  403  403  403  403  403  403  403  403  405  403  403
org:access_review_decide       other   302  403  403  403  403  403  403  403  403  403  405  403  403

audits:tool_list               -       302  200  200  200  200  200  200  200  200  200  200  403  403
audits:tool_create             -       302  403  403  403  403  403  403  403  200  403  200  403  403
audits:tool_import             -       302  403  403  403  403  403  403  403  200  403  200  403  403
audits:tool_detail             own     302  200  200  200  200  200  200  200  200  200  200  403  403
audits:tool_detail             other   302  200  200  200  200  200  200  200  200  200  200  403  403
audits:version_start_draft     own     302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_start_draft     other   302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_detail          own     302  200  200  200  200  200  200  200  200  200  200  403  403
audits:version_detail          other   302  200  200  200  200  200  200  200  200  200  200  403  403
audits:version_publish         own     302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_publish         other   302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_retire          own     302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_retire          other   302  403  403  403  403  403  403  403  405  403  405  403  403
audits:version_export_json     own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:version_export_json     other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:version_export_yaml     own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:version_export_yaml     other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:section_create          own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:section_create          other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:section_edit            own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:section_edit            other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:question_create         own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:question_create         other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:question_edit           own     302  403  403  403  403  403  403  403  200  403  200  403  403
audits:question_edit           other   302  403  403  403  403  403  403  403  200  403  200  403  403
audits:part_change             own     302  403  403  403  403  403  403  403  405  403  405  403  403
audits:part_change             other   302  403  403  403  403  403  403  403  405  403  405  403  403

audits:audit_detail            own     302  404  200  200  200  404  200  200  200  200  200  403  404
audits:audit_detail            other   302  404  404  404  404  404  200  200  200  200  200  403  404
audits:audit_edit              own     302  403  403  403  403  403  403  403  403  403  403  403  404
audits:audit_edit              other   302  403  404  403  403  403  403  403  403  403  403  403  404
audits:audit_autosave          own     401  403  405  403  403  403  403  405  405  403  403  403  405
audits:audit_autosave          other   401  403  405  403  403  403  403  405  405  403  403  403  405
audits:audit_action_add        own     302  403  405  403  403  403  403  405  405  403  403  403  405
audits:audit_action_add        other   302  403  405  403  403  403  403  405  405  403  403  403  405
audits:audit_oversight         own     302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_oversight         other   302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_dispute           own     302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_dispute           other   302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_on_record         own     302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_on_record         other   302  403  403  405  403  403  403  403  403  403  403  403  403
audits:audit_resolve           own     302  403  403  403  403  403  403  403  405  403  403  403  403
audits:audit_resolve           other   302  403  403  403  403  403  403  403  405  403  403  403  403
audits:audit_concern           own     302  403  405  405  403  403  403  405  405  403  403  403  405
audits:audit_concern           other   302  403  405  405  403  403  403  405  405  403  403  403  405
audits:audit_start             -       302  403  403  403  403  403  403  200  200  403  403  403  403
audits:audit_participant_add   own     302  403  403  403  403  403  403  405  405  403  403  403  403
audits:audit_participant_add   other   302  403  403  403  403  403  403  405  405  403  403  403  403
audits:audit_participant_remove own    302  403  403  403  403  403  403  405  405  403  403  403  403
audits:audit_participant_remove other  302  403  403  403  403  403  403  405  405  403  403  403  403
audits:audit_print             own     302  404  200  200  200  404  200  200  200  200  200  403  404
audits:audit_print             other   302  404  404  404  404  404  200  200  200  200  200  403  404
audits:audit_document_request  own     302  405  405  405  405  405  405  405  405  405  405  403  405
audits:audit_document_request  other   302  405  405  405  405  405  405  405  405  405  405  403  405
audits:audit_document          own     302  404  200  200  200  404  200  200  200  200  200  403  404
audits:audit_document          other   302  404  404  404  404  404  200  200  200  200  200  403  404
audits:audit_document_download own     302  404  200  200  200  404  200  200  200  200  200  403  404
audits:audit_document_download other   302  404  404  404  404  404  200  200  200  200  200  403  404

audits:audit_list_mine         -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_export_mine_csv   -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_export_mine_xlsx  -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_list_area         -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_export_area_csv   -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_export_area_xlsx  -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:audit_list_all          -       302  403  403  403  403  403  200  200  200  200  200  403  403
audits:audit_export_all_csv    -       302  403  403  403  403  403  200  200  200  200  200  403  403
audits:audit_export_all_xlsx   -       302  403  403  403  403  403  200  200  200  200  200  403  403
audits:voices_list             -       302  403  403  200  403  403  200  200  200  200  200  403  403
audits:voices_export_csv       -       302  403  403  200  403  403  200  200  200  200  200  403  403

audits:action_list_mine        -       302  200  200  200  200  200  200  200  200  200  200  403  200
audits:action_list_area        -       302  403  200  200  403  403  200  200  200  200  200  403  403
audits:action_detail           own     302  404  200  200  404  404  200  200  200  200  200  403  404
audits:action_detail           other   302  404  404  404  404  404  200  200  200  200  200  403  404
audits:action_close            own     302  405  405  405  405  405  405  405  405  405  405  403  405
audits:action_close            other   302  405  405  405  405  405  405  405  405  405  405  403  405

# -- the case list --
cases:case_list                -       302  403  200  200  403  403  200  200  200  200  200  403  403
cases:case_import              -       302  403  403  403  403  403  403  200  200  403  200  403  403
# -- the audit schedule --
schedule:calendar              -       302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:year                  -       302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:month                 -       302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:entry_create          -       302  403  403  403  403  403  403  200  200  403  200  403  403
schedule:entry_detail          own     302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:entry_detail          other   302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:entry_edit            own     302  403  403  403  403  403  403  200  200  403  200  403  403
schedule:entry_edit            other   302  403  403  403  403  403  403  200  200  403  200  403  403
schedule:entry_delete          own     302  403  403  403  403  403  403  200  200  403  200  403  403
schedule:entry_delete          other   302  403  403  403  403  403  403  200  200  403  200  403  403
schedule:subscribe             -       302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:subscription_create   -       302  405  405  405  405  405  405  405  405  405  405  403  403
schedule:subscription_replace  -       302  405  405  405  405  405  405  405  405  405  405  403  403
schedule:download              -       302  200  200  200  200  200  200  200  200  200  200  403  403
schedule:feed                  -       404  404  404  404  404  404  404  404  404  404  404  404  404
# -- allocation --
allocation:allocation_list     -       302  403  403  403  403  403  403  200  200  403  403  403  403
allocation:allocation_detail   -       302  403  403  403  403  403  403  200  200  403  403  403  403
allocation:allocation_propose  -       302  403  403  403  403  403  403  405  405  403  403  403  403
allocation:item_add            -       302  403  403  403  403  403  403  405  405  403  403  403  403
allocation:item_remove         -       302  403  403  403  403  403  403  405  405  403  403  403  403
allocation:item_swap           -       302  403  403  403  403  403  403  405  405  403  403  403  403
allocation:allocation_distribute -     302  403  403  403  403  403  403  405  405  403  403  403  403
# -- deadlines, overdue lists, escalations, exemplars --
escalations:board              -       302  403  403  200  403  403  200  200  200  200  200  403  403
escalations:board_closed       -       302  403  403  200  403  403  200  200  200  200  200  403  403
escalations:escalation_detail  own     302  403  403  200  403  403  200  200  200  200  200  403  403
escalations:escalation_detail  other   302  403  403  404  403  403  200  200  200  200  200  403  403
escalations:escalation_update  own     302  403  403  405  403  403  403  403  403  403  403  403  403
escalations:escalation_update  other   302  403  403  405  403  403  403  403  403  403  403  403  403
escalations:escalation_close   own     302  403  403  403  403  403  403  405  405  403  403  403  403
escalations:escalation_close   other   302  403  403  403  403  403  403  405  405  403  403  403  403
escalations:exemplar_list      -       302  200  200  200  200  200  200  200  200  200  200  403  200
escalations:exemplar_mark      own     302  403  403  405  403  403  403  405  405  403  403  403  403
escalations:exemplar_mark      other   302  403  403  405  403  403  403  405  405  403  403  403  403
escalations:exemplar_unmark    own     302  403  403  405  403  403  403  405  405  403  403  403  403
escalations:exemplar_unmark    other   302  403  403  405  403  403  403  405  405  403  403  403  403
escalations:overdue_list       -       302  403  403  200  403  403  200  200  200  200  200  403  403
escalations:overdue_export_csv -       302  403  403  200  403  403  200  200  200  200  200  403  403

# -- moderation: panels, samples, re-grading --
moderation:panel_list          -       302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:panel_create        -       302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_detail        own     302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:panel_detail        other   302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:panel_edit          own     302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_edit          other   302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_draw          own     302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_draw          other   302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_draw_check    own     302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_draw_check    other   302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:panel_sample_add    own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_sample_add    other   302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_open          own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_open          other   302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_conclude      own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_conclude      other   302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_item          own     302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:panel_item          other   302  403  403  403  404  403  403  200  200  403  403  403  403
moderation:panel_item_remove   own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_item_remove   other   302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_item_blind    own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:panel_item_blind    other   302  403  403  403  403  403  403  405  405  403  403  403  403
# -- moderation: outcomes and calibration --
moderation:outcomes            -       302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:outcomes_csv        -       302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:outcomes_json       -       302  403  403  403  200  403  403  200  200  403  403  403  403
moderation:calibration_list    -       302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:calibration_csv     -       302  403  403  403  403  403  403  200  200  403  403  403  403
moderation:calibration_detail  own     302  403  403  200  403  403  403  200  200  403  403  403  403
moderation:calibration_detail  other   302  403  403  404  403  403  403  200  200  403  403  403  403
# -- moderation: QA's review of an Inadequate grade (its form is on the escalation's page) --
moderation:escalation_review   own     302  403  403  403  403  403  403  405  405  403  403  403  403
moderation:escalation_review   other   302  403  403  403  403  403  403  405  405  403  403  403  403

# -- performance: catalogue and loads --
performance:catalogue                   -       302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_import            -       302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_indicator_create  -       302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_indicator         own     302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_indicator         other   302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_indicator_edit    own     302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_indicator_edit    other   302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_year_edit         own     302  403  403  403  403  200  403  403  403  403  200  403  403
performance:catalogue_year_edit         other   302  403  403  403  403  200  403  403  403  403  200  403  403
performance:value_loads                 -       302  403  403  403  403  200  403  403  403  403  403  403  403
performance:value_load_upload           -       302  403  403  403  403  200  403  403  403  403  403  403  403
performance:value_load                  own     302  403  403  403  403  200  403  403  403  403  403  403  403
performance:value_load                  other   302  403  403  403  403  200  403  403  403  403  403  403  403
# -- performance: scorecard, commentary, exports --
performance:scorecard             -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:scorecard_csv         -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:scorecard_xlsx        -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:scorecard_json        -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:pack_request          -       302  403  405  405  405  405  405  405  405  405  405  405  403
performance:pack_detail           -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:pack_download         -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:indicator_detail      -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:indicator_breakdown   -       302  403  200  200  200  200  200  200  200  200  200  200  403
performance:commentary            -       302  200  200  200  200  200  200  200  200  200  200  403  403
performance:commentary_edit       -       302  403  403  403  403  200  403  403  403  403  403  403  403
performance:month_lock            -       302  403  403  403  403  405  403  403  403  403  403  403  403
# -- complaints and compliments (issue 18): read by QA, cross-area readers of case work, and managers and
#    leads of their areas (not the read-only reader); typed in, changed and loaded by the QA unit --
complaints:entry_list          -       302  403  200  200  403  403  200  200  200  200  200  403  403
complaints:entry_export_csv    -       302  403  200  200  403  403  200  200  200  200  200  403  403
complaints:entry_export_xlsx   -       302  403  200  200  403  403  200  200  200  200  200  403  403
complaints:entry_create        -       302  403  403  403  403  403  403  200  200  403  403  403  403
complaints:entry_import        -       302  403  403  403  403  403  403  200  200  403  403  403  403
complaints:entry_detail        own     302  403  200  200  403  403  200  200  200  200  200  403  403
complaints:entry_detail        other   302  403  404  404  403  403  200  200  200  200  200  403  403
complaints:entry_edit          own     302  403  403  403  403  403  403  200  200  403  403  403  403
complaints:entry_edit          other   302  403  403  403  403  403  403  200  200  403  403  403  403
# -- Supporting Families benchmarking (issue 18): recorded by practice managers (their areas) and the QA
#    unit; the forms read by them, service leads (their areas), heads of service and senior leaders; the
#    summary's figures (no case references) by the read-only reader too --
families:form_list             -       302  403  200  200  403  403  200  200  200  200  403  403  403
families:form_create           -       302  403  200  403  403  403  403  200  200  403  403  403  403
families:summary               -       302  403  200  200  403  403  200  200  200  200  403  200  403
families:form_detail           own     302  403  200  200  403  403  200  200  200  200  403  403  403
families:form_detail           other   302  403  404  404  403  403  200  200  200  200  403  403  403
families:form_edit             own     302  403  200  403  403  403  403  200  200  403  403  403  403
families:form_edit             other   302  403  404  403  403  403  403  200  200  403  403  403  403
# -- surveys of children and families: the QA unit's pages; the one-time link's pages are public
#    (quality.access.public): anyone with a link answers, signed in or not --
voices:survey_list             -       302  403  403  403  403  403  200  200  200  200  403  403  403
voices:survey_create           -       302  403  403  403  403  403  403  200  200  403  403  403  403
voices:survey_detail           own     302  403  403  403  403  403  200  200  200  200  403  403  403
voices:survey_detail           other   302  403  403  403  403  403  200  200  200  200  403  403  403
voices:links_make              own     302  403  403  403  403  403  403  405  405  403  403  403  403
voices:links_make              other   302  403  403  403  403  403  403  405  405  403  403  403  403
voices:respond                 -       200  200  200  200  200  200  200  200  200  200  200  200  200
voices:thanks                  -       200  200  200  200  200  200  200  200  200  200  200  200  200
# -- observations of practice (issue 18): seen by the observer, the practitioner, the practice managers
#    of the practitioner's team (the viewers here manage no team: 404 in their own area too), service
#    leads (their areas), heads of service, senior leaders and the QA unit; recorded by the observer or
#    the QA unit; the coverage page (names and dates) by everyone who may observe --
observations:list              -       302  200  200  200  403  403  200  200  200  200  403  403  403
observations:plan              -       302  403  200  200  403  403  200  200  200  200  403  403  403
observations:coverage          -       302  403  200  200  403  403  200  200  200  200  403  403  403
observations:practice_weeks    -       302  200  200  200  403  403  200  200  200  200  403  403  403
observations:practice_week_add -       302  403  403  403  403  403  403  405  405  403  403  403  403
observations:detail            own     302  404  404  200  403  403  200  200  200  200  403  403  403
observations:detail            other   302  404  404  404  403  403  200  200  200  200  403  403  403
observations:record            own     302  403  404  403  403  403  403  200  200  403  403  403  403
observations:record            other   302  403  404  404  403  403  403  200  200  403  403  403  403
observations:action_done       own     302  403  405  405  403  403  405  405  405  405  403  403  403
observations:action_done       other   302  403  405  405  403  403  405  405  405  405  403  403  403

# -- reports: archive, generation, editing, publishing --
# (report_detail: own = a published report, other = a draft; edit, generate again and publish are of the
#  draft, correct of the published report; reports belong to no service area)
reports:report_list            -       302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_generate        -       302  403  403  403  403  403  403  403  200  403  403  403  403
reports:report_subscription    -       302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_detail          own     302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_detail          other   302  403  403  404  403  403  404  404  200  404  404  404  403
reports:report_edit            -       302  403  403  403  403  403  403  403  200  403  403  403  403
reports:report_autosave        -       401  403  403  403  403  403  403  403  405  403  403  403  403
reports:report_refresh         -       302  403  403  403  403  403  403  403  405  403  403  403  403
reports:report_publish         -       302  403  403  403  403  403  403  403  405  403  403  403  403
reports:report_correct         -       302  403  403  403  403  403  403  403  200  403  403  403  403
# -- reports: downloads --
# (object: own = a published report, other = a draft; reports belong to no service area)
reports:report_pdf             own     302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_pdf             other   302  403  403  404  403  403  404  404  200  404  404  404  403
reports:report_xlsx            own     302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_xlsx            other   302  403  403  404  403  403  404  404  200  404  404  404  403
reports:report_json            own     302  403  403  200  403  403  200  200  200  200  200  200  403
reports:report_json            other   302  403  403  404  403  403  404  404  200  404  404  404  403
# -- reports: practice themes --
reports:theme_list             -       302  403  403  403  403  403  403  403  200  403  200  403  403
reports:theme_add              -       302  403  403  403  403  403  403  403  200  403  200  403  403
reports:theme_defaults         -       302  403  403  403  403  403  403  403  405  403  405  403  403
reports:theme_edit             own     302  403  403  403  403  403  403  403  200  403  200  403  403
reports:theme_edit             other   302  403  403  403  403  403  403  403  200  403  200  403  403
reports:theme_deactivate       own     302  403  403  403  403  403  403  403  405  403  405  403  403
reports:theme_deactivate       other   302  403  403  403  403  403  403  403  405  403  405  403  403
reports:theme_activate         own     302  403  403  403  403  403  403  403  405  403  405  403  403
reports:theme_activate         other   302  403  403  403  403  403  403  403  405  403  405  403  403
# -- the evaluation (issue 19): triangulation per service area and practice theme; a service lead their own areas --
evaluation:index               -       302  403  403  200  403  403  200  200  200  200  403  403  403
evaluation:area                own     302  403  403  200  403  403  200  200  200  200  403  403  403
evaluation:area                other   302  403  403  404  403  403  200  200  200  200  403  403  403
evaluation:theme               own     302  403  403  200  403  403  200  200  200  200  403  403  403
evaluation:theme               other   302  403  403  200  403  403  200  200  200  200  403  403  403
# -- the evaluation: the rules that flag disagreements, adjusted by the QA lead --
evaluation:rule_list           -       302  403  403  403  403  403  403  403  200  403  403  403  403
evaluation:rule_edit           own     302  403  403  403  403  403  403  403  200  403  403  403  403
evaluation:rule_edit           other   302  403  403  403  403  403  403  403  200  403  403  403  403
# -- the self-evaluation: read by the QA unit, heads of service and senior leaders; written by the QA unit,
#    commented on by heads of service and senior leaders under review, signed off by a senior leader
#    (object: own = a published one with its files made, other = a draft under review; a statement and its
#    evidence are the draft's either way; neither belongs to an area; a published one takes no new statement) --
evaluation:self_evaluations    -       302  403  403  403  403  403  200  200  200  200  403  403  403
evaluation:self_evaluation     own     302  403  403  403  403  403  200  200  200  200  403  403  403
evaluation:self_evaluation     other   302  403  403  403  403  403  200  200  200  200  403  403  403
evaluation:self_evaluation_file own    302  403  403  403  403  403  200  200  200  200  403  403  403
evaluation:self_evaluation_file other  302  403  403  403  403  403  404  404  404  404  403  403  403
evaluation:statement_new       own     302  403  403  403  403  403  403  404  404  403  403  403  403
evaluation:statement_new       other   302  403  403  403  403  403  403  200  200  403  403  403  403
evaluation:review_send         own     302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:review_send         other   302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:comment_add         own     302  403  403  403  403  403  405  403  403  405  403  403  403
evaluation:comment_add         other   302  403  403  403  403  403  405  403  403  405  403  403  403
evaluation:review_return       own     302  403  403  403  403  403  405  405  405  405  403  403  403
evaluation:review_return       other   302  403  403  403  403  403  405  405  405  405  403  403  403
evaluation:sign_off            own     302  403  403  403  403  403  403  403  403  405  403  403  403
evaluation:sign_off            other   302  403  403  403  403  403  403  403  403  405  403  403  403
evaluation:statement           own     302  403  403  403  403  403  403  200  200  403  403  403  403
evaluation:statement           other   302  403  403  403  403  403  403  200  200  403  403  403  403
evaluation:statement_delete    own     302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:statement_delete    other   302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:citation_add        own     302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:citation_add        other   302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:citation_remove     own     302  403  403  403  403  403  403  405  405  403  403  403  403
evaluation:citation_remove     other   302  403  403  403  403  403  403  405  405  403  403  403  403
# -- security events (issue 12) --
security:event_list            -       302  403  403  403  403  403  403  403  403  403  200  403  403
security:event_export          -       302  403  403  403  403  403  403  403  403  403  200  403  403
security:access_search         -       302  403  403  403  403  403  403  403  200  403  200  403  403
security:access_export         -       302  403  403  403  403  403  403  403  200  403  200  403  403

# The second factor (quality/mfa). Signed-in people here have passed it, so its sign-in steps send
# them on (SIGNED_IN_REDIRECTS); their own page is everyone's; resetting someone's is managing people.
mfa:account                    -       302  200  200  200  200  200  200  200  200  200  200  200  200
mfa:verify                     -       302  302  302  302  302  302  302  302  302  302  302  302  302
mfa:enrol                      -       302  302  302  302  302  302  302  302  302  302  302  302  302
mfa:recovery_codes             -       302  302  302  302  302  302  302  302  302  302  302  302  302
mfa:recovery_codes_download    -       302  302  302  302  302  302  302  302  302  302  302  302  302
mfa:remove                     -       302  405  405  405  405  405  405  405  405  405  405  405  405
mfa:reset                      own     302  403  403  403  403  403  403  403  403  403  200  403  403
mfa:reset                      other   302  403  403  403  403  403  403  403  403  403  200  403  403
"""

ANONYMOUS = "anonymous"
COLUMNS = {
    "anon": ANONYMOUS,
    "prac": Role.PRACTITIONER,
    "pm": Role.PRACTICE_MANAGER,
    "sl": Role.SERVICE_LEAD,
    "mod": Role.MODERATOR,
    "perf": Role.PERFORMANCE_OFFICER,
    "hos": Role.HEAD_OF_SERVICE,
    "qao": Role.QA_OFFICER,
    "qal": Role.QA_LEAD,
    "sen": Role.SENIOR_LEADER,
    "adm": Role.ADMINISTRATOR,
    "ro": Role.READ_ONLY,
    "pa": Role.PARTNER_AUDITOR,
}
# Roles the test gives in the own service area; every other role is held with no area.
HELD_IN_OWN_AREA = frozenset(
    {Role.PRACTITIONER, Role.PRACTICE_MANAGER, Role.SERVICE_LEAD, Role.MODERATOR, Role.PERFORMANCE_OFFICER}
)
NO_OBJECT = "-"
WHERE = (NO_OBJECT, "own", "other")
SKIPPED_NAMESPACES = frozenset({"admin"})  # Django's own admin, mounted at django-admin/
BOGUS_RESET = {"uidb64": "Ym9ndXM", "token": "bogus-token"}
# A 302 sends someone not signed in to sign in; a signed-in person is sent on only by these pages
# (second-factor steps they have already passed), and only to these.
SIGNED_IN_REDIRECTS = {
    "mfa:verify": "home",
    "mfa:enrol": "mfa:account",
    "mfa:recovery_codes": "home",
    "mfa:recovery_codes_download": "mfa:recovery_codes",
}


def parse_matrix(text: str) -> tuple[list[str], dict[tuple[str, str], dict[str, int]]]:
    lines = [line.split() for line in text.strip().splitlines() if line.strip() and not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header[:3] == ["url", "name", "object"], header
    columns = header[3:]
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        name, where, *statuses = row
        assert where in WHERE, f"matrix row {name}: object must be one of {WHERE}, not {where!r}"
        assert len(statuses) == len(columns), f"matrix row {name} {where}: {len(statuses)} statuses"
        assert (name, where) not in expected, f"matrix row {name} {where} appears twice"
        expected[(name, where)] = {COLUMNS[code]: int(status) for code, status in zip(columns, statuses, strict=True)}
    return columns, expected


MATRIX_COLUMNS, EXPECTED = parse_matrix(MATRIX)


def walk_url_names(patterns=None, prefix: str = "") -> list[str]:
    """Every named URL of the project, namespaced ("org:person_detail"), Django's admin and static aside."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names.extend(walk_url_names(pattern.url_patterns, inner))
        elif isinstance(pattern, URLPattern):
            if pattern.callback.__module__ in ("django.views.static", "django.contrib.staticfiles.views"):
                continue
            names.append(f"{prefix}{pattern.name}" if pattern.name else f"{prefix}<unnamed {pattern.pattern}>")
    return names


URL_NAMES = walk_url_names()


class World:
    """The objects the pages are about, made on first use, one per service area ("own" / "other")."""

    def __init__(self, own_area, other_area):
        self.areas = {"own": own_area, "other": other_area}
        self.made: dict[tuple[str, str], object] = {}

    def _once(self, kind, where, make):
        if (kind, where) not in self.made:
            self.made[(kind, where)] = make()
        return self.made[(kind, where)]

    def area(self, where):
        return self.areas[where]

    def team(self, where):
        return self._once("team", where, lambda: TeamFactory(service_area=self.area(where), name=f"Team {where}"))

    def person(self, where):
        """Someone whose only role is in that service area."""
        return self._once(
            "person",
            where,
            lambda: person_with_role(Role.PRACTITIONER, self.area(where), full_name=f"Pat {where.title()}"),
        )

    def membership(self, where):
        return self.person(where).memberships.get()

    def tool(self, where):
        return self._once(
            "tool",
            where,
            lambda: audit_services.tool_create(
                actor=None,
                name=f"{self.area(where).code} case audit",
                service_area=self.area(where),
                purpose="case_audit",
            ),
        )

    def version(self, where):
        return self.tool(where).versions.get()

    def section(self, where):
        return self.version(where).sections.order_by("order").first()

    def question(self, where):
        return self.section(where).questions.order_by("order").first()

    def audit(self, where):
        """A draft audit in that area, by one of its practice managers, of another worker's case."""

        def make():
            area = self.area(where)
            version = audit_services.version_publish(actor=None, version=self.version(where))
            return audit_services.audit_create(
                actor=None,
                case_reference=f"C-{where.upper()}-1",
                service_area=area,
                auditor=person_with_role(Role.PRACTICE_MANAGER, area, full_name=f"Auditor {where}"),
                case_holder=person_with_role(Role.PRACTITIONER, area, full_name=f"Worker {where}"),
                tool_version=version,
            )

        return self._once("audit", where, make)

    def learning_action(self, where):
        """An open action from that area's audit, owned by the worker who holds the case."""
        return self._once(
            "learning_action",
            where,
            lambda: audit_services.action_add(
                audit=self.audit(where),
                description="Update the chronology",
                owner=self.audit(where).case_holder,
                due_on=timezone.localdate(),
            ),
        )

    def participant(self, where):
        """A partner auditor invited to that area's audit."""
        return self._once(
            "participant",
            where,
            lambda: AuditParticipant.objects.create(
                audit=self.audit(where),
                person=person_with_role(Role.PARTNER_AUDITOR, full_name=f"Partner {where}"),
            ),
        )

    # -- World objects of the monthly cycle: the case list --
    # -- World objects of the monthly cycle: the audit schedule --

    def schedule_entry(self, where):
        """A moderation panel for that service area (shared: every internal role but the reader reads both)."""
        from datetime import date, time

        from audits.cycle.schedule import schedule_entry_create

        return self._once(
            "schedule_entry",
            where,
            lambda: schedule_entry_create(
                actor=None,
                kind="panel",
                title=f"Moderation panel {where}",
                starts_on=date(2026, 11, 19),
                starts_at=time(15),
                ends_at=time(17),
                service_areas=[self.area(where)],
            ),
        )

    # -- World objects of the monthly cycle: allocation --

    def allocation(self, where):
        """November 2026's allocation, proposed. Shared (like the schedule): the QA unit sees every area."""
        from datetime import date

        from audits.models import Allocation

        return self._once("allocation", "-", lambda: Allocation.objects.create(month=date(2026, 11, 1)))

    def allocation_item(self, where):
        """A case of the own area proposed in that allocation for one of its practice managers."""

        def make():
            from datetime import date

            from audits.models import AllocationItem, Case

            area = self.area("own")
            case = Case.objects.create(
                child_ref="C-ALLOC-1", service_area=area, legal_status="cp", open_since=date(2025, 1, 6)
            )
            manager = person_with_role(Role.PRACTICE_MANAGER, area, full_name="Allocated Manager")
            return AllocationItem.objects.create(
                allocation=self.allocation(where), case=case, auditor=manager, reason="fits the theme: child protection"
            )

        return self._once("allocation_item", "-", make)

    # -- World objects of the monthly cycle: escalations --

    def escalation(self, where):
        """An Inadequate escalation of that area's audit, awaiting QA moderation."""
        from audits.models import Escalation

        return self._once(
            "escalation",
            where,
            lambda: Escalation.objects.create(
                audit=self.audit(where),
                kind=Escalation.Kind.INADEQUATE,
                stage=Escalation.Stage.AWAITING_MODERATION,
            ),
        )

    # -- World objects of moderation: panels --
    def panel(self, where):
        """A planned moderation panel (panels hold no child's data: "where" names only the copy)."""
        return self._once("panel", where, lambda: Panel.objects.create(held_on=timezone.localdate()))

    def sampled_panel(self, where):
        """A panel in session whose sample holds that area's audit."""
        now = timezone.now()
        return self._once(
            "sampled_panel",
            where,
            lambda: Panel.objects.create(
                held_on=timezone.localdate(),
                state=Panel.State.IN_SESSION,
                seed=1,
                sample_from=timezone.localdate(),
                sample_random_count=0,
                sample_drawn_at=now,
                opened_at=now,
            ),
        )

    def panel_item(self, where):
        """That area's audit in a panel's sample."""
        return self._once(
            "panel_item",
            where,
            lambda: PanelItem.objects.create(
                panel=self.sampled_panel(where), audit=self.audit(where), reason=PanelItem.Reason.RANDOM
            ),
        )

    # -- World objects of moderation: outcomes --
    # -- World objects of performance: catalogue --

    def indicator(self, where):
        """An indicator of the catalogue (shared: no child's data; "where" names only the copy)."""
        from performance.catalogue import indicator_create

        return self._once(
            "indicator",
            where,
            lambda: indicator_create(
                actor=None,
                code=f"M-{where}",
                title=f"Contacts received ({where})",
                priority_area="Right service at the right time",
                unit="count",
                polarity="neutral",
            ),
        )

    def value_load(self, where):
        """A load of one council-wide figure for that indicator."""
        from datetime import date

        from performance.models import KpiValue, ValueLoad

        def make():
            load = ValueLoad.objects.create(file_name=f"values-{where}.csv", rows=1)
            KpiValue.objects.create(indicator=self.indicator(where), period=date(2026, 10, 1), value=5, load=load)
            return load

        return self._once("value_load", where, make)

    # -- World objects of performance: scorecard --

    def scorecard_indicator(self, where):
        """An indicator with no lead: only performance officers may write its commentary (indicators are
        council-wide, so "where" names only the copy)."""
        from performance.models import Indicator

        return self._once(
            "scorecard_indicator",
            "-",
            lambda: Indicator.objects.create(
                code="MX-SC",
                title="Matrix scorecard indicator",
                priority_area="Matrix",
                unit="count",
                polarity="higher",
            ),
        )

    def performance_pack(self, where):
        """A finished pack of October 2026 (a stand-in file: the matrix is about access, not PDFs)."""
        from datetime import date

        from performance.models import PerformancePack

        return self._once(
            "performance_pack",
            "-",
            lambda: PerformancePack.objects.create(
                period=date(2026, 10, 1),
                requested_by=person_with_role(Role.PERFORMANCE_OFFICER, self.area("own"), full_name="Pack Maker").user,
                state=PerformancePack.State.READY,
                file=ContentFile(b"%PDF-1.7\n", name="matrix-pack.pdf"),
                generated_at=timezone.now(),
            ),
        )

    # -- World objects of reports --

    def report_to_read(self, where):
        """A monthly report with real figures: 'own' published (every reader of reports sees it), 'other' a
        draft (only the QA lead, who manages reports, may open it). Reports belong to no service area."""

        def make():
            from quality.reports.figures import compute
            from quality.reports.models import Report

            period, state = ("2026-08", "published") if where == "own" else ("2026-07", "draft")
            figures = compute("monthly", period)
            return Report.objects.create(
                kind=Report.Kind.MONTHLY,
                period=period,
                period_start=figures["period_start"],
                period_end=figures["period_end"],
                state=state,
                figures=figures,
                data_taken_at=timezone.now(),
                published_at=timezone.now() if state == "published" else None,
            )

        return self._once("report_to_read", where, make)

    def _report_to_download(self, state):
        from quality.reports.models import Report

        return Report.objects.create(
            kind=Report.Kind.MONTHLY,
            period="2026-10",
            period_start="2026-10-01",
            period_end="2026-10-31",
            state=state,
            figures={"kind": "monthly", "period": "2026-10"},  # the downloads' access, not their content
            data_taken_at=timezone.now(),
        )

    def published_report_to_download(self):
        """A published monthly report (reports belong to no area: every reader of reports sees it)."""
        return self._once("published_report_to_download", "-", lambda: self._report_to_download("published"))

    def draft_report_to_download(self):
        """A draft monthly report: only the QA lead, who manages reports, may open it."""
        return self._once("draft_report_to_download", "-", lambda: self._report_to_download("draft"))

    def complaint(self, where):
        """A complaint about that service area, as the complaints system's export would bring it."""
        from datetime import date

        from evidence.complaints.models import Entry

        return self._once(
            "complaint",
            where,
            lambda: Entry.objects.create(
                received_on=date(2026, 11, 2),
                service_area=self.area(where),
                kind="complaint",
                theme="communication",
                outcome="open",
                source_reference=f"MATRIX-{where.upper()}",
            ),
        )

    def benchmarking_form(self, where):
        """A Supporting Families benchmarking form of that service area, by one of its practice managers."""
        from datetime import date

        from evidence.families.services import ConcernAnswer, benchmarking_form_create

        def make():
            manager = person_with_role(Role.PRACTICE_MANAGER, self.area(where), full_name=f"Benchmarker {where}")
            return benchmarking_form_create(
                actor=None,
                case_reference=f"C-SF-{where.upper()}",
                service_area=self.area(where),
                team=self.team(where),
                completed_by=manager,
                completed_on=date(2026, 11, 2),
                concerns={"housing": ConcernAnswer(identified_at_start=True, positive_outcome=True)},
            )

        return self._once("benchmarking_form", where, make)

    def observation(self, where):
        """A planned observation of a practitioner of that area's team, by the team's practice manager."""
        from datetime import date

        from evidence.observations.services import observation_plan
        from tests.factories import MembershipFactory, PersonFactory, published_tool_version

        def make():
            area, team = self.area(where), self.team(where)
            worker, manager = PersonFactory(full_name=f"Observed {where}"), PersonFactory(full_name=f"Observer {where}")
            MembershipFactory(person=worker, role=Role.PRACTITIONER, service_area=area, team=team)
            MembershipFactory(person=manager, role=Role.PRACTICE_MANAGER, service_area=area, team=team)
            version = published_tool_version(name=f"Observation {where}", purpose="observation")
            return observation_plan(
                actor=None,
                practitioner=worker,
                observer=manager,
                kind="direct_work",
                planned_on=date(2026, 11, 2),
                tool_version=version,
            )

        return self._once("observation", where, make)

    def observation_action(self, where):
        """An action plan item of that area's observation."""
        from datetime import date

        from evidence.observations.models import ActionItem

        observation = self.observation(where)
        return self._once(
            "observation_action",
            where,
            lambda: ActionItem.objects.create(
                observation=observation,
                text="Use the child's words",
                owner=observation.practitioner,
                review_on=date(2026, 12, 1),
            ),
        )

    def survey(self, where):
        """A survey of that service area, open at the suite's today."""
        from .evidence.survey_helpers import open_survey

        return self._once("survey", where, lambda: open_survey(None, area=self.area(where)))

    def survey_token(self):
        """An unused one-time link of the own area's survey (a GET never uses it up)."""
        from .evidence.survey_helpers import tokens

        return self._once("survey_token", "own", lambda: tokens(None, self.survey("own"))[0])

    def practice_theme(self, where):
        """A practice theme (shared reference data: the same answer for 'own' and 'other')."""
        return self._once(
            "practice_theme",
            where,
            lambda: PracticeTheme.objects.create(name=f"Matrix theme {where}", key_phrases=["matrix"]),
        )

    def triangulation_rule(self, where):
        """A triangulation rule (shared: the same answer for 'own' and 'other')."""
        return self._once(
            "triangulation_rule",
            where,
            lambda: TriangulationRule.objects.get_or_create(kind=TriangulationRule.Kind.MODERATION_LOWERED)[0],
        )

    def self_evaluation(self, where):
        """own: the 2025 self-evaluation, published, its PDF made (a stand-in file: the matrix is about
        access); other: the 2026 draft with a statement citing a figure."""
        return self._once("self_evaluation", where, lambda: self._self_evaluation(where))

    def _self_evaluation(self, where):
        from quality.built_files import store
        from quality.evaluation import self_evaluation as services
        from quality.evaluation.models import Citation, EvaluationDocument, Question

        writer = person_with_role(Role.QA_LEAD, None, full_name=f"Writer {where}").user
        evaluation = services.self_evaluation_start(actor=writer, year=2025 if where == "own" else 2026)
        statement = services.statement_save(
            actor=writer, evaluation=evaluation, text="Good.", question=Question.KNOW, service_area=self.area("own")
        )
        source = {"area": self.area("own").pk, "figure": "good_after", "kind": "monthly", "period": "2026-10"}
        services.citation_add(actor=writer, statement=statement, kind=Citation.Kind.FIGURE, source=source)
        if where == "own":
            signer = person_with_role(Role.SENIOR_LEADER, None, full_name="Signer").user
            services.review_send(actor=writer, evaluation=evaluation)
            services.sign_off(actor=signer, evaluation=evaluation)
            document = EvaluationDocument.objects.get(evaluation=evaluation, format="pdf")
            store(document, "matrix.pdf", b"%PDF-1.7\n", made_at=timezone.now())
        else:
            services.review_send(actor=writer, evaluation=evaluation)  # under review: comments and sign-off
        return evaluation

    def statement(self, where):
        return self.self_evaluation("other").statements.get()

    def citation(self, where):
        return self.statement(where).citations.get()

    def calibrated_auditor(self, where):
        """A practice manager of that area: whose grades the calibration page shows."""
        return self._once(
            "calibrated_auditor",
            where,
            lambda: person_with_role(Role.PRACTICE_MANAGER, self.area(where), full_name=f"Calibrated {where}"),
        )

    def document(self, where):
        """A finished PDF of that area's audit (a stand-in file: the matrix is about access, not PDFs)."""
        return self._once(
            "document",
            where,
            lambda: AuditDocument.objects.create(
                audit=self.audit(where),
                requested_by=self.audit(where).auditor.user,
                state=AuditDocument.State.READY,
                file=ContentFile(b"%PDF-1.7\n", name=f"matrix-{where}.pdf"),
                generated_at=timezone.now(),
            ),
        )


def _pk(kind):
    return lambda world, where: {"pk": getattr(world, kind)(where).pk}


URL_KWARGS = {
    "password_reset_confirm": lambda world, where: BOGUS_RESET,
    "invitation_accept": lambda world, where: BOGUS_RESET,
    "org:service_area_detail": _pk("area"),
    "org:service_area_edit": _pk("area"),
    "org:service_area_retire": _pk("area"),
    "org:service_area_reactivate": _pk("area"),
    "org:team_create": lambda world, where: {"area_pk": world.area(where).pk},
    "org:team_edit": _pk("team"),
    "org:person_detail": _pk("person"),
    "org:person_edit": _pk("person"),
    "org:person_deactivate": _pk("person"),
    "org:person_reactivate": _pk("person"),
    "org:membership_add": _pk("person"),
    "org:person_invite": _pk("person"),
    "org:access_review_decide": _pk("person"),
    "mfa:reset": _pk("person"),
    "org:membership_end": _pk("membership"),
    "audits:tool_detail": _pk("tool"),
    "audits:version_start_draft": _pk("tool"),
    "audits:version_detail": _pk("version"),
    "audits:version_publish": _pk("version"),
    "audits:version_retire": _pk("version"),
    "audits:version_export_json": _pk("version"),
    "audits:version_export_yaml": _pk("version"),
    "audits:section_create": lambda world, where: {"version_pk": world.version(where).pk},
    "audits:section_edit": lambda world, where: {
        "version_pk": world.version(where).pk,
        "pk": world.section(where).pk,
    },
    "audits:question_create": lambda world, where: {"section_pk": world.section(where).pk},
    "audits:question_edit": lambda world, where: {
        "section_pk": world.section(where).pk,
        "pk": world.question(where).pk,
    },
    **{
        f"audits:{name}": _pk("audit")
        for name in (
            "audit_detail",
            "audit_edit",
            "audit_autosave",
            "audit_action_add",
            "audit_oversight",
            "audit_dispute",
            "audit_on_record",
            "audit_resolve",
            "audit_concern",
            "audit_participant_add",
            "audit_print",
            "audit_document_request",
        )
    },
    **{
        f"audits:{name}": lambda world, where: {"pk": world.audit(where).pk, "document_pk": world.document(where).pk}
        for name in ("audit_document", "audit_document_download")
    },
    "audits:action_detail": _pk("learning_action"),
    "audits:action_close": _pk("learning_action"),
    "audits:audit_participant_remove": lambda world, where: {
        "pk": world.audit(where).pk,
        "participant_pk": world.participant(where).pk,
    },
    "audits:part_change": lambda world, where: {"kind": "question", "pk": world.question(where).pk, "change": "up"},
    # -- the case list --
    # -- the audit schedule --
    "schedule:year": lambda world, where: {"year": 2026},
    "schedule:month": lambda world, where: {"year": 2026, "month": 11},
    "schedule:entry_detail": _pk("schedule_entry"),
    "schedule:entry_edit": _pk("schedule_entry"),
    "schedule:entry_delete": _pk("schedule_entry"),
    "schedule:feed": lambda world, where: {"token": "bogus-token"},  # no such address: 404 for everyone
    # -- allocation --
    **{
        f"allocation:{name}": lambda world, where: {"month": f"{world.allocation(where).month:%Y-%m}"}
        for name in ("allocation_detail", "allocation_propose", "item_add", "allocation_distribute")
    },
    **{
        f"allocation:{name}": lambda world, where: {
            "month": f"{world.allocation(where).month:%Y-%m}",
            "pk": world.allocation_item(where).pk,
        }
        for name in ("item_remove", "item_swap")
    },
    # -- deadlines, overdue lists, escalations, exemplars --
    **{
        f"escalations:{name}": _pk("escalation")
        for name in ("escalation_detail", "escalation_update", "escalation_close")
    },
    "escalations:exemplar_mark": _pk("audit"),
    "escalations:exemplar_unmark": _pk("audit"),
    # -- moderation: panels, samples, re-grading --
    **{f"moderation:{name}": _pk("panel") for name in ("panel_detail", "panel_edit", "panel_draw", "panel_sample_add")},
    **{f"moderation:{name}": _pk("sampled_panel") for name in ("panel_draw_check", "panel_open", "panel_conclude")},
    **{f"moderation:{name}": _pk("panel_item") for name in ("panel_item", "panel_item_remove", "panel_item_blind")},
    # -- moderation: outcomes and calibration --
    "moderation:calibration_detail": _pk("calibrated_auditor"),
    "moderation:escalation_review": _pk("escalation"),
    # -- performance: catalogue and loads --
    "performance:catalogue_indicator": _pk("indicator"),
    "performance:catalogue_indicator_edit": _pk("indicator"),
    "performance:catalogue_year_edit": lambda world, where: {"pk": world.indicator(where).pk, "year": 2026},
    "performance:value_load": _pk("value_load"),
    # -- performance: scorecard, commentary, exports --
    **{
        f"performance:{name}": lambda world, where: {"month": "2026-10"}
        for name in ("scorecard_csv", "scorecard_xlsx", "scorecard_json", "pack_request", "month_lock")
    },
    "performance:pack_detail": _pk("performance_pack"),
    "performance:pack_download": _pk("performance_pack"),
    "performance:indicator_detail": _pk("scorecard_indicator"),
    "performance:indicator_breakdown": lambda world, where: {
        "pk": world.scorecard_indicator(where).pk,
        "month": "2026-10",
    },
    "performance:commentary_edit": lambda world, where: {"month": "2026-10", "pk": world.scorecard_indicator(where).pk},
    # -- reports: archive, generation, editing, publishing --
    # -- complaints and compliments --
    "complaints:entry_detail": _pk("complaint"),
    "complaints:entry_edit": _pk("complaint"),
    # -- Supporting Families benchmarking --
    "families:form_detail": _pk("benchmarking_form"),
    "families:form_edit": _pk("benchmarking_form"),
    # -- surveys of children and families --
    "voices:survey_detail": _pk("survey"),
    "voices:links_make": _pk("survey"),
    "voices:respond": lambda world, where: {"token": world.survey_token()},
    # -- observations of practice --
    "observations:detail": _pk("observation"),
    "observations:record": _pk("observation"),
    "observations:action_done": _pk("observation_action"),
    "reports:report_detail": _pk("report_to_read"),
    **{
        f"reports:{name}": lambda world, where: {"pk": world.report_to_read("other").pk}
        for name in ("report_edit", "report_autosave", "report_refresh", "report_publish")
    },
    "reports:report_correct": lambda world, where: {"pk": world.report_to_read("own").pk},
    # -- reports: downloads --
    **{
        f"reports:{name}": lambda world, where: {
            "pk": (world.published_report_to_download if where == "own" else world.draft_report_to_download)().pk
        }
        for name in ("report_pdf", "report_xlsx", "report_json")
    },
    # -- reports: practice themes --
    **{f"reports:{name}": _pk("practice_theme") for name in ("theme_edit", "theme_deactivate", "theme_activate")},
    # -- the evaluation --
    "evaluation:area": _pk("area"),
    "evaluation:theme": _pk("practice_theme"),
    "evaluation:rule_edit": _pk("triangulation_rule"),
    **{
        f"evaluation:{name}": _pk("self_evaluation")
        for name in ("self_evaluation", "statement_new", "review_send", "comment_add", "review_return", "sign_off")
    },
    "evaluation:self_evaluation_file": lambda world, where: {
        "pk": world.self_evaluation(where).pk,
        "file_format": "pdf",
    },
    **{f"evaluation:{name}": _pk("statement") for name in ("statement", "statement_delete", "citation_add")},
    "evaluation:citation_remove": _pk("citation"),
}


def _cases():
    """One case per page (and the area of the object it is about): every person is asked in turn, so
    the objects the page is about are made once for all of them."""
    for name in URL_NAMES:
        for where in WHERE:
            statuses = EXPECTED.get((name, where))
            if statuses is not None:
                label = name if where == NO_OBJECT else f"{name}-{where}-area"
                yield pytest.param(name, where, statuses, id=label)


# The world holds dates written out (a schedule entry, an allocation month, KPI periods): its clock too.
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def world(own_area, other_area):
    return World(own_area, other_area)


def _wrong_answer(client, world, url: str, url_name: str, who: str, expected: int) -> str | None:
    """What is wrong with the answer `who` gets to a GET of `url` (None: it is the expected one)."""
    # Nothing of whoever asked before: no session cookie, no messages waiting (signing them out too
    # would only add a security event, for a tenth of the case's time).
    client.cookies.clear()
    if who != ANONYMOUS:
        area = world.area("own") if who in HELD_IN_OWN_AREA else None
        client.force_login(person_with_role(Role(who), area, full_name=f"Viewer {who}").user)
    response = client.get(url)
    if response.streaming:  # a download: read to the end, so the test client closes its file
        b"".join(response.streaming_content)
    if response.status_code != expected:
        return f"GET {url} as {who}: {response.status_code}, expected {expected}"
    if expected == 302 and who != ANONYMOUS and response.url != reverse(SIGNED_IN_REDIRECTS[url_name]):
        return f"GET {url} as {who}: sent to {response.url}"
    if expected == 302 and who == ANONYMOUS and response.url != f"{reverse('login')}?next={url}":
        return f"GET {url} as {who}: sent to {response.url}, not to sign in"
    if expected == 405 and "POST" not in response["Allow"]:
        return f"GET {url} as {who}: 405 without POST allowed"
    return None


@pytest.mark.parametrize(("url_name", "where", "statuses"), list(_cases()))
def test_each_person_gets_the_expected_answer_to_a_get_of_each_page(client, world, url_name, where, statuses):
    make_kwargs = URL_KWARGS.get(url_name)
    assert (where == NO_OBJECT) or make_kwargs, f"{url_name}: add how to build its URL to URL_KWARGS"
    url = reverse(url_name, kwargs=make_kwargs(world, where) if make_kwargs else None)

    answers = (_wrong_answer(client, world, url, url_name, who, expected) for who, expected in statuses.items())
    wrong = [answer for answer in answers if answer]

    assert not wrong, "\n".join(wrong)


def test_every_url_of_the_project_has_rows_in_the_access_matrix():
    named_in_matrix = {name for name, _ in EXPECTED}
    missing = [name for name in URL_NAMES if name not in named_in_matrix]
    assert not missing, (
        f"These URLs are not in the access matrix of {__name__}: {', '.join(missing)}. "
        "Add a row per URL (own/other rows for a page about an object) saying what each role gets."
    )


def test_every_row_of_the_access_matrix_names_a_url_of_the_project():
    stale = sorted({name for name, _ in EXPECTED} - set(URL_NAMES))
    assert not stale, f"The access matrix has rows for URLs the project no longer has: {', '.join(stale)}"


def test_a_page_about_an_object_has_an_own_area_row_and_an_other_area_row():
    shapes: dict[str, set[str]] = {}
    for name, where in EXPECTED:
        shapes.setdefault(name, set()).add(where)
    odd = {name: sorted(wheres) for name, wheres in shapes.items() if wheres not in ({NO_OBJECT}, {"own", "other"})}
    assert not odd, f"Give each URL one '-' row, or an 'own' and an 'other' row: {odd}"


def test_the_access_matrix_has_a_column_for_anonymous_and_every_role():
    assert len(MATRIX_COLUMNS) == len(set(MATRIX_COLUMNS))
    assert {COLUMNS[code] for code in MATRIX_COLUMNS} == {ANONYMOUS, *Role}


def test_the_url_walk_finds_namespaced_pages_and_leaves_out_django_admin():
    assert {"home", "login", "org:person_detail", "audits:tool_list"} <= set(URL_NAMES)
    assert not [name for name in URL_NAMES if name.startswith("admin:") or "<unnamed" in name]
    assert len(URL_NAMES) == len(set(URL_NAMES)), "two URLs share a name"


def test_a_bogus_password_reset_link_is_shown_as_invalid(client, db):
    response = client.get(reverse("password_reset_confirm", kwargs=BOGUS_RESET))
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "This link has already been used or has expired" in response.content.decode()


def _nav_urls(items) -> list[str]:
    urls = []
    for item in items:
        urls.extend(_nav_urls(item["children"]) if "children" in item else [item["url"]])
    return urls


def test_the_read_only_readers_navigation_offers_reports_and_the_scorecard_but_no_schedule_or_tools(client, db):
    client.force_login(person_with_role(Role.READ_ONLY, None, full_name="Rea Reader").user)

    urls = _nav_urls(client.get(reverse("home")).context["navigation"])

    assert reverse("performance:scorecard") in urls
    assert reverse("reports:report_list") in urls
    assert reverse("schedule:calendar") not in urls
    assert reverse("audits:tool_list") not in urls
    for url in urls:  # nothing offered that then refuses
        assert client.get(url).status_code == 200, url
