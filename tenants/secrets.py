"""Answers that carry a secret: the API key of a new tenant, and any key minted later."""

import functools

# Neither the browser nor any proxy on the way may keep a copy: the key is shown once.
NO_STORE = "no-store"


def carries_secret(action):
    """Decorate a view action whose successful answer shows a secret, so nothing caches it."""

    @functools.wraps(action)
    def answer(view, request, *args, **kwargs):
        response = action(view, request, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response

    return answer
