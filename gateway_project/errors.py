"""The errors the gateway answers with: plain exceptions, so services and selectors need no web framework.

Each error carries what the caller is told (status, code, one-sentence detail, headers) and how
an invocation that ends in it is audited (`outcome`: refused for who the caller is or how often
it calls is `denied`; anything else is an `error`). Channels turn them into their own answers:
`gateway_project.exceptions` into HTTP, the one place that mapping lives.
"""

from django.db import InterfaceError, OperationalError

# The audit outcomes an error can end an invocation in (audit.models.Outcome holds the same values).
DENIED = "denied"
ERROR = "error"
UNKNOWN = "unknown"  # the request left for an upstream and whether it took effect is not known


class GatewayError(Exception):
    status_code = 400
    default_code = "bad_request"
    default_detail = "Bad request"
    outcome = ERROR

    def __init__(self, detail: str | None = None, *, code: str | None = None, headers: dict | None = None):
        self.detail = self.default_detail if detail is None else str(detail)
        self.code = code or self.default_code
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    def document(self) -> dict:
        """The error as every channel shows it: `{"detail": ..., "code": ...}`."""
        return {"detail": self.detail, "code": self.code}


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


class MalformedJSON(GatewayError):
    default_code = "malformed_json"
    default_detail = "Request body is not valid JSON"


class RequestTimeout(GatewayError):
    status_code = 408
    default_code = "request_timeout"
    default_detail = "The request body did not arrive in time"


class InvalidCredentials(GatewayError):
    # One message for an unknown tenant and a wrong key, so neither can be probed.
    status_code = 401
    default_code = "invalid_credentials"
    default_detail = "Invalid tenant ID or API key"

    def __init__(self):
        super().__init__(headers={"WWW-Authenticate": 'ApiKey realm="gateway"'})


class Forbidden(GatewayError):
    status_code = 403
    default_code = "forbidden"
    default_detail = "Forbidden"
    outcome = DENIED


class NotFound(GatewayError):
    status_code = 404
    default_code = "not_found"
    default_detail = "Not found"


class Conflict(GatewayError):
    status_code = 409
    default_code = "conflict"
    default_detail = "Conflict"


class PayloadTooLarge(GatewayError):
    status_code = 413
    default_code = "payload_too_large"

    def __init__(self, limit_bytes: int):
        super().__init__(f"Request body exceeds the limit of {limit_bytes} bytes")


class ValidationFailed(GatewayError):
    """422: `errors` maps each offending field's path (`points[3].ts`) to its messages."""

    status_code = 422
    default_code = "validation_error"

    def __init__(self, errors: dict[str, list[str]]):
        if not errors:
            raise ValueError("a validation failure names at least one field")
        self.errors = {path: [str(message) for message in messages] for path, messages in errors.items()}
        first_path, first_messages = next(iter(self.errors.items()))
        more = sum(len(messages) for messages in self.errors.values()) - 1
        detail = f"Validation failed: {first_path}: {first_messages[0]}"
        super().__init__(detail + (f" (and {more} more)" if more else ""))

    def document(self) -> dict:
        return {**super().document(), "errors": self.errors}


class ServerFailure(GatewayError):
    """Our fault, not the caller's: 500, the cause logged where it happened, never shown."""

    status_code = 500
    default_code = "server_error"
    default_detail = "Internal server error"


class DatabaseUnavailable(ServerFailure):
    status_code = 503
    default_code = "database_unavailable"
    default_detail = "The database is unavailable; retry shortly"

    def __init__(self):
        super().__init__(headers={"Retry-After": "1"})


def is_database_unavailable(exc: BaseException) -> bool:
    """Gone, refusing connections, or locked past the busy timeout: worth a retry, not our bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def server_failure(exc: BaseException) -> ServerFailure:
    """What an unexpected exception is answered with: one rule for every channel and the audit."""
    unavailable = isinstance(exc, DatabaseUnavailable) or is_database_unavailable(exc)
    return DatabaseUnavailable() if unavailable else ServerFailure()
