"""A synthetic council for `load_demo`: service areas, teams, about seventy staff, one log-in per role.

No real people: names are made up by pairing common first names and surnames.
"""

from functools import cache
from itertools import cycle

from django.contrib.auth.hashers import make_password

from . import services
from .models import Membership, Person, Role, ServiceArea, Team

DEMO_PASSWORD = "demo-portal-2026"
DEMO_DOMAIN = "council.example"

SERVICE_AREAS = [
    ("CRS", "Children's Resource Service", ["MASH", "Assessment North", "Assessment South"]),
    ("BIT", "Brief Intervention Team", ["Brief Intervention 1", "Brief Intervention 2"]),
    ("SWF", "Social Work with Families", ["SWF East", "SWF West", "SWF Central"]),
    ("PACT", "Protection and Court Team", ["PACT 1", "PACT 2"]),
    ("PTC", "Pathways Through Care", ["Children Looked After", "Care Leavers"]),
    ("C&FF", "Children & Families First", ["Early Help North", "Early Help South"]),
    ("ICAS", "ICAS", ["ICAS"]),
    ("JIG", "Jigsaw (children with disabilities)", ["Jigsaw"]),
    ("YPS", "Young People's Service", ["Adolescent Safeguarding", "Youth Justice"]),
    ("ADOPT", "Permanency / Adoption", ["Permanency", "Adoption Support"]),
    ("FOST", "Fostering", ["Fostering Recruitment", "Fostering Support"]),
    ("I&P", "Inclusion & Prevention", ["Inclusion"]),
]

# One log-in per role, each listed in the README. Area roles sit in Social Work with Families.
DEMO_LOGINS = [
    ("admin", "Alex Morgan", "Portal administrator", Role.ADMINISTRATOR, None),
    ("practitioner", "Priya Shah", "Social worker", Role.PRACTITIONER, "SWF"),
    ("manager", "Daniel Okafor", "Practice manager", Role.PRACTICE_MANAGER, "SWF"),
    ("servicelead", "Helen Carter", "Service lead", Role.SERVICE_LEAD, "SWF"),
    ("head", "Marcus Webb", "Head of service, safeguarding", Role.HEAD_OF_SERVICE, None),
    ("qa.officer", "Fatima Begum", "QA officer", Role.QA_OFFICER, None),
    ("qa.lead", "Susan Fletcher", "Head of quality assurance", Role.QA_LEAD, None),
    ("moderator", "Owen Price", "Senior practitioner, moderation panel", Role.MODERATOR, "PTC"),
    ("performance", "Grace Liu", "Performance officer", Role.PERFORMANCE_OFFICER, None),
    ("senior", "Rachel Adeyemi", "Deputy director", Role.SENIOR_LEADER, None),
    ("reader", "Tom Hughes", "Improvement board support", Role.READ_ONLY, None),
    ("partner", "Karen Doyle", "Detective sergeant, public protection", Role.PARTNER_AUDITOR, None),
]

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Farid",
    "Gemma",
    "Harry",
    "Imogen",
    "Jamal",
    "Katie",
    "Liam",
    "Maya",
    "Nathan",
    "Olivia",
    "Patrick",
    "Rosie",
    "Sam",
    "Tara",
    "Umar",
    "Vicky",
    "Will",
]
SURNAMES = [
    "Allen",
    "Bennett",
    "Clarke",
    "Davies",
    "Evans",
    "Foster",
    "Green",
    "Hall",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Mitchell",
    "Nowak",
    "Owen",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Turner",
]


@cache
def _demo_password_hash() -> str:
    # Hash once: hashing seventy times takes half a minute with PBKDF2.
    return make_password(DEMO_PASSWORD)


def _person(email: str, full_name: str, job_title: str, organisation: str = "") -> Person:
    existing = Person.objects.filter(user__email=email).first()
    if existing:
        return existing
    person = services.person_create(
        actor=None, full_name=full_name, email=email, job_title=job_title, organisation=organisation, invite=False
    )
    person.user.password = _demo_password_hash()
    person.user.save(update_fields=["password"])
    return person


def _role(person: Person, role: Role, area: ServiceArea | None = None, team: Team | None = None) -> None:
    if not Membership.objects.current().filter(person=person, role=role, service_area=area).exists():
        services.membership_add(actor=None, person=person, role=role, service_area=area, team=team)


def load() -> None:
    areas = {}
    for code, name, team_names in SERVICE_AREAS:
        area = ServiceArea.objects.filter(code=code).first() or services.service_area_create(
            actor=None, code=code, name=name
        )
        areas[code] = area
        for team_name in team_names:
            if not area.teams.filter(name=team_name).exists():
                services.team_create(actor=None, service_area=area, name=team_name)

    for key, full_name, job_title, role, code in DEMO_LOGINS:
        organisation = "Police" if role == Role.PARTNER_AUDITOR else ""
        person = _person(f"{key}@{DEMO_DOMAIN}", full_name, job_title, organisation)
        area = areas[code] if code else None
        team = area.teams.first() if area and role in (Role.PRACTITIONER, Role.PRACTICE_MANAGER) else None
        _role(person, role, area, team)

    # Staff in every area: a service lead, a practice manager per team and two practitioners.
    names = cycle((f, s) for s in SURNAMES for f in FIRST_NAMES)
    for code, area in areas.items():
        for role, title, teams in [
            (Role.SERVICE_LEAD, "Service lead", [None]),
            (Role.PRACTICE_MANAGER, "Practice manager", list(area.teams.all())),
            (Role.PRACTITIONER, "Social worker", list(area.teams.all())[:2] * (2 if area.teams.count() == 1 else 1)),
        ]:
            for index, team in enumerate(teams, start=1):
                email = f"{role.value.replace('_', '.')}.{index}.{code.lower().replace('&', '')}@{DEMO_DOMAIN}"
                first, last = next(names)
                person = _person(email, f"{first} {last}", title)
                _role(person, role, area, team)

    # Cross-area staff beyond the demo log-ins.
    for index, (role, title) in enumerate(
        [
            (Role.HEAD_OF_SERVICE, "Head of service, pathways"),
            (Role.HEAD_OF_SERVICE, "Head of resources"),
            (Role.QA_OFFICER, "QA officer"),
            (Role.MODERATOR, "Practice development lead"),
            (Role.SENIOR_LEADER, "Director of children's services"),
        ],
        start=1,
    ):
        first, last = next(names)
        person = _person(f"staff.{index}@{DEMO_DOMAIN}", f"{first} {last}", title)
        _role(person, role)
    health = _person(f"partner.health@{DEMO_DOMAIN}", "Nadia Rahman", "Named nurse, safeguarding", "Health")
    _role(health, Role.PARTNER_AUDITOR)
    _access_reviewed(health)


def _access_reviewed(person: Person) -> None:
    """Last quarter's access review kept the partner's account: the review page shows a decision."""
    from .access_review import Decision, access_review_decide  # the review reads security events

    if not person.access_review_decisions.exists():
        administrator = Person.objects.get(user__email=f"admin@{DEMO_DOMAIN}").user
        reason = "Named nurse for the partnership audits this quarter."
        access_review_decide(actor=administrator, person=person, decision=Decision.KEEP, reason=reason)


def logins() -> list[tuple[str, str]]:
    return [(f"{key}@{DEMO_DOMAIN}", dict(Role.choices)[role]) for key, _, _, role, _ in DEMO_LOGINS]
