"""Serializer fields that take JSON strings only: DRF would quietly turn 5 into "5"."""

from rest_framework import serializers


class _StringOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    pass


class StrictEmailField(_StringOnly, serializers.EmailField):
    pass


class StrictUUIDField(_StringOnly, serializers.UUIDField):
    pass
