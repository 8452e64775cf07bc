"""The events page's filters (its CSV export reads the same query string), and the access records' search."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q

from quality.forms import EnglishDateFilter
from quality.months import start_of_day
from quality.org.models import Person

from .access import AUDIT
from .events import username_key
from .models import AccessRecord, Kind, SecurityEvent

ANY = "Any"


class AddressFilter(django_filters.CharFilter):
    field_class = forms.GenericIPAddressField


class SecurityEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label="Event", empty_label=ANY)
    date_from = EnglishDateFilter(method="filter_from", label="From")
    date_to = EnglishDateFilter(method="filter_to", label="To")
    person = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), method="filter_person", label="Person (or by them)", empty_label=ANY
    )
    name_typed = django_filters.CharFilter(
        method="filter_name_typed", label="E-mail address typed", help_text="Finds sign-in failures of any name."
    )
    address = AddressFilter(label="Address")

    class Meta:
        model = SecurityEvent
        fields = ["kind", "date_from", "date_to", "person", "name_typed", "address"]

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=start_of_day(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=start_of_day(value + timedelta(days=1)))

    def filter_person(self, queryset, name, value):
        return queryset.filter(Q(user_id=value.user_id) | Q(actor_id=value.user_id))

    def filter_name_typed(self, queryset, name, value):
        return queryset.filter(username_key=username_key(value))


class AccessRecordFilter(django_filters.FilterSet):
    """The search of who saw which record. Bound to the criteria kept in the session (views.py says
    why): a case reference typed here never goes into a URL."""

    person = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), method="filter_person", label="Person", empty_label=ANY
    )
    case_reference = django_filters.CharFilter(
        method="filter_case_reference",
        label="Case reference",
        max_length=AccessRecord._meta.get_field("case_reference").max_length,
        help_text="The whole reference; capitals or not.",
    )
    audit = django_filters.NumberFilter(method="filter_audit", label="Audit number", min_value=1)
    kind = django_filters.ChoiceFilter(choices=AccessRecord.Kind.choices, label="Access", empty_label=ANY)
    date_from = EnglishDateFilter(method="filter_from", label="From")
    date_to = EnglishDateFilter(method="filter_to", label="To")

    class Meta:
        model = AccessRecord
        fields = ["person", "case_reference", "audit", "kind", "date_from", "date_to"]

    def filter_person(self, queryset, name, value):
        return queryset.filter(user_id=value.user_id)

    def filter_case_reference(self, queryset, name, value):
        return queryset.filter(case_reference__iexact=value.strip())

    def filter_audit(self, queryset, name, value):
        return queryset.filter(object_type=AUDIT, object_id=value)

    filter_from = SecurityEventFilter.filter_from
    filter_to = SecurityEventFilter.filter_to
