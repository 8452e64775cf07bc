import factory
from django.contrib.auth import get_user_model

from quality.org.models import Membership, Person, Role, ServiceArea, ServiceAreaName, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@council.example")
    email = factory.SelfAttribute("username")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SA{n}")
    name = factory.Sequence(lambda n: f"Service area {n}")

    @factory.post_generation
    def first_name(obj, create, extracted, **kwargs):
        """`first_name=<datetime>` dates the first name earlier: names are history, never re-dated after."""
        if create:
            ServiceAreaName.objects.create(service_area=obj, name=obj.name, valid_from=extracted or obj.created_at)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    service_area = factory.SubFactory(ServiceAreaFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    job_title = "Social worker"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    role = Role.PRACTITIONER
    service_area = factory.SubFactory(ServiceAreaFactory)


def person_with_role(role: Role, area: ServiceArea | None = None, **person_fields) -> Person:
    person = PersonFactory(**person_fields)
    MembershipFactory(person=person, role=role, service_area=area)
    return person
