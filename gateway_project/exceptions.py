"""Errors the API can answer with, and the one handler that shapes every error body.

Every error is `{"detail": "<one sentence>", "code": "<snake_case>"}`; a 422
adds `"errors": {"<field path>": ["<message>", ...]}`.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class GatewayError(exceptions.APIException):
    """An API error whose detail, code and headers are exactly what the client sees."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "Bad request"

    def __init__(self, detail: str | None = None, *, code: str | None = None, headers: dict | None = None):
        super().__init__(detail, code)
        self.headers = headers or {}


class MissingHeader(GatewayError):
    default_code = "missing_header"

    def __init__(self, header: str):
        super().__init__(f"Missing required header: {header}")


class DuplicateHeader(GatewayError):
    default_code = "duplicate_header"

    def __init__(self, header: str):
        super().__init__(f"Header {header} was sent more than once; send it once")


class InvalidHeader(GatewayError):
    default_code = "invalid_header"

    def __init__(self, header: str, requirement: str):
        super().__init__(f"Invalid header {header}: {requirement}")


class MalformedJSON(GatewayError, exceptions.ParseError):
    default_code = "malformed_json"
    default_detail = "Request body is not valid JSON"


class InvalidCredentials(GatewayError, exceptions.AuthenticationFailed):
    # One message for an unknown tenant and a wrong key, so neither can be probed.
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_credentials"
    default_detail = "Invalid tenant ID or API key"


class Forbidden(GatewayError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"
    default_detail = "Forbidden"


class NotFound(GatewayError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found"


class Conflict(GatewayError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Conflict"


class PayloadTooLarge(GatewayError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit_bytes: int):
        super().__init__(f"Request body exceeds the limit of {limit_bytes} bytes")


class DatabaseUnavailable(GatewayError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "database_unavailable"
    default_detail = "The database is unavailable; retry shortly"

    def __init__(self):
        super().__init__(headers={"Retry-After": "1"})


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


def is_database_unavailable(exc: BaseException) -> bool:
    """Gone, refusing connections, or locked past the busy timeout: worth a retry, not our bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def server_failure(exc: BaseException) -> tuple[int, str]:
    """The (status, code) an unexpected exception is answered with: one rule for handler and audit."""
    return (503, "database_unavailable") if is_database_unavailable(exc) else (500, "server_error")


def _validation_response(exc: exceptions.ValidationError) -> Response:
    errors = validation_errors(exc.detail)
    first_path, first_messages = next(iter(errors.items()))
    more = sum(len(messages) for messages in errors.values()) - 1
    detail = f"Validation failed: {first_path}: {first_messages[0]}"
    if more:
        detail += f" (and {more} more)"
    return Response(
        {"detail": detail, "code": "validation_error", "errors": errors},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _error_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure, expected or not, becomes the contract's JSON."""
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, exceptions.ParseError) and not isinstance(exc, GatewayError):
        exc = MalformedJSON()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = Forbidden()
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE, which settings tie to ours.
        exc = PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)

    if is_database_unavailable(exc):
        # Whatever was in flight was rolled back with its transaction.
        logger.error("Database unavailable in %s: %s", context.get("view").__class__.__name__, exc)
        exc = DatabaseUnavailable()
    elif not isinstance(exc, exceptions.APIException):
        # Anything unexpected is our bug: log it whole, tell the client nothing internal.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return _logged(
            Response({"detail": "Internal server error", "code": "server_error"},
                     status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        )  # fmt: skip

    headers = dict(getattr(exc, "headers", {}))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
    response = Response({"detail": str(detail), "code": _error_code(exc)}, status=exc.status_code, headers=headers)
    return _logged(response) if isinstance(exc, DatabaseUnavailable) else response


def _logged(response: Response) -> Response:
    """Mark a response whose cause this handler logged, so django.request does not log it again."""
    response._has_been_logged = True
    return response
