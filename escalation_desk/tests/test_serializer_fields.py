"""An output serializer's fields are worked out from the model once per class (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from accounts.models import Organisation
from escalation_desk.api import BuiltOnceModelSerializer


class OrganisationProbe(BuiltOnceModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "is_active"]
        read_only_fields = fields


def test_it_builds_a_model_serializers_fields_once_and_gives_each_instance_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[type] = []
    build = serializers.ModelSerializer.get_fields

    def counted(self: Any) -> dict[str, serializers.Field]:
        builds.append(type(self))
        return build(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", counted)
    monkeypatch.delattr(OrganisationProbe, "_fields_built_once", raising=False)
    first, second = OrganisationProbe(), OrganisationProbe()
    assert list(first.fields) == list(second.fields) == ["id", "name", "is_active"]
    assert builds == [OrganisationProbe]
    # Each instance binds its own copy: a field knows the serializer it belongs to.
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second


@pytest.mark.django_db
def test_it_shows_a_row_as_a_model_serializer_does() -> None:
    organisation = Organisation.objects.create(name="Harbourline Logistics")

    class Plain(serializers.ModelSerializer):
        class Meta(OrganisationProbe.Meta):
            pass

    assert OrganisationProbe(organisation).data == Plain(organisation).data
    assert OrganisationProbe(organisation).data["name"] == "Harbourline Logistics"


def test_it_gives_each_instance_its_own_nested_serializers() -> None:
    from tickets.serializers import TeamContactsSerializer

    first, second = TeamContactsSerializer(), TeamContactsSerializer()
    mine, theirs = first.fields["leaders"], second.fields["leaders"]
    assert mine is not theirs and mine.child is not theirs.child
    assert mine.child.parent is mine and mine.parent is first
