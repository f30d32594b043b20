from tenants.context import TenantContextLoader


class TenantContextMiddleware:
    """Attaches `request.tenant_context`, which resolves the tenant headers on first use.

    Lazy, so endpoints that never ask (health, admin, registration) cost no query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant_context = TenantContextLoader(request.headers)
        return self.get_response(request)
