"""Answers that carry a secret (an API key) tell every cache, shared or private, to keep nothing."""

from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from tenants.secrets import carries_secret


class KeyMinting:
    @carries_secret
    def create(self, request):
        """Mints a key."""
        return Response({"api_key": "gwk_x"}, status=201, headers={"Cache-Control": "max-age=60"})


def test_a_decorated_action_answers_no_store_whatever_it_set():
    response = KeyMinting().create(APIRequestFactory().post("/"))

    assert response["Cache-Control"] == "no-store"
    assert (response.status_code, response.data) == (201, {"api_key": "gwk_x"})


def test_the_action_keeps_its_name_and_docs():
    assert (KeyMinting.create.__name__, KeyMinting.create.__doc__) == ("create", "Mints a key.")
