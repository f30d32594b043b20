"""HTTP answers for every failure: the one place an error becomes a response.

Every error is `{"detail": "<one sentence>", "code": "<snake_case>"}`; a 422 adds
`"errors": {"<field path>": ["<message>", ...]}`. Services raise the plain errors of
`gateway_project.errors`; what DRF and Django raise is translated here into the same.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from gateway_project.errors import (
    DatabaseUnavailable,
    Forbidden,
    GatewayError,
    MalformedJSON,
    NotFound,
    PayloadTooLarge,
    ServerFailure,
    ValidationFailed,
    is_database_unavailable,
)

logger = logging.getLogger(__name__)


def validation_errors(detail, path: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error structure into `{"points[3].ts": ["..."]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                child = path
            elif isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            flat.update(validation_errors(value, child))
    elif isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        flat.setdefault(path or "body", []).extend(str(item) for item in detail)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if item:
                flat.update(validation_errors(item, f"{path}[{index}]"))
    else:
        flat.setdefault(path or "body", []).append(str(detail))
    return flat


def gateway_error_from(exc: BaseException) -> GatewayError | None:
    """The gateway's error for what the web stack raised; None for an exception nobody expected."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden()
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE, which settings tie to ours.
        return PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, exceptions.ValidationError):
        return ValidationFailed(validation_errors(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return MalformedJSON()
    if isinstance(exc, exceptions.APIException):
        # DRF's own refusals (405, 406, 415) keep their status, words and code.
        codes = exc.get_codes()
        error = GatewayError(
            exc.detail if isinstance(exc.detail, str) else str(exc.default_detail),
            code=codes if isinstance(codes, str) else exc.default_code,
        )
        error.status_code = exc.status_code
        return error
    return None


def error_response(error: GatewayError) -> Response:
    response = Response(error.document(), status=error.status_code, headers=error.headers)
    if isinstance(error, ServerFailure):
        # Whoever raised it logged the cause; django.request need not log the answer again.
        response._has_been_logged = True
    return response


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure, expected or not, becomes the contract's JSON."""
    error = gateway_error_from(exc)
    if error is None:
        view = context.get("view").__class__.__name__
        if is_database_unavailable(exc):
            # Whatever was in flight was rolled back with its transaction.
            logger.error("Database unavailable in %s: %s", view, exc)
            error = DatabaseUnavailable()
        else:
            # Anything unexpected is our bug: log it whole, tell the client nothing internal.
            logger.exception("Unhandled error in %s", view)
            error = ServerFailure()
    return error_response(error)
