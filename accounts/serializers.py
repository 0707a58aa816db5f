"""How people appear in every app's API: the brief form (id and name)."""

from __future__ import annotations

from rest_framework import serializers

from escalation_desk.api import BuiltOnceModelSerializer

from .models import User


class UserBriefSerializer(BuiltOnceModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return str(user)
