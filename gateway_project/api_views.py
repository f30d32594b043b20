"""What every API view shares: the request it builds, and its answer to OPTIONS."""

import io

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from gateway_project.errors import GatewayError


class GatewayRequest(Request):
    """DRF's Request, except that a body of no bytes goes to the parser like any other.

    DRF answers `{}` for an empty body without asking the parser, so a JSON POST with
    nothing in it met a 422 listing the fields it lacks; to the contract no bytes is not
    parseable JSON (400). The body is still parsed only when a view reads `request.data`,
    so the checks before it (headers, tenant, user, role) keep their order.
    """

    # Why the body could not be read, kept so a second read fails the same way; DRF would
    # answer a second read with empty data, or Django with an unrelated RawPostDataException.
    _body_error: Exception | None = None

    def _load_stream(self):
        super()._load_stream()
        if self._stream is None:
            self._stream = io.BytesIO(b"")

    @property
    def data(self):
        if self._body_error is not None:
            raise self._body_error
        try:
            return super().data
        except (APIException, GatewayError, RequestDataTooBig) as error:
            self._body_error = error
            raise


class ApiViewMixin:
    """Mixed into every API view (base class first), since DRF has no setting for the request class."""

    def dispatch(self, request, *args, **kwargs):
        # Before DRF's dispatch, so OPTIONS meets no authentication, role check, rate limit or audit:
        # it tells anyone the methods the OpenAPI document already lists, and runs nothing.
        if request.method == "OPTIONS":
            return self.options_response()
        return super().dispatch(request, *args, **kwargs)

    def options_response(self) -> HttpResponse:
        # 200 with no content, as Django's own View.options: a 204 would leave the server to drop
        # the Content-Length: 0 that CommonMiddleware adds (RFC 9110 forbids it on a 204), and
        # not every server does.
        response = HttpResponse(status=200)
        del response["Content-Type"]  # no content, so no type of content
        response["Allow"] = ", ".join(self.allowed_methods)  # the same list DRF's 405s carry
        response["Content-Length"] = "0"
        return response

    def initialize_request(self, request, *args, **kwargs):
        # Through super(), so that a viewset still names its action; then rebuilt as ours.
        built = super().initialize_request(request, *args, **kwargs)
        return GatewayRequest(
            request,
            parsers=built.parsers,
            authenticators=built.authenticators,
            negotiator=built.negotiator,
            parser_context=built.parser_context,
        )
