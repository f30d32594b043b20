import re
import time
from collections import Counter
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from gateway_project.commands import GatewayCommand
from gateway_project.errors import ValidationFailed
from tenants.models import Tenant
from tools.http_tools import DEFINITION_FIELDS, definition_check, http_tool_create, http_tool_update
from tools.models import HttpTool
from tools.openapi_import import ImportPlan, ImportRefused, PlannedTool, document_load, import_plan

FETCH_TIMEOUT_SECONDS = 30  # the whole fetch; each connect or read gets a third of it
MAX_REDIRECTS = 5
ACCEPTED_TYPES = "application/json, application/yaml, text/yaml, */*;q=0.1"
OUTCOMES = ("created", "updated", "would create", "would update", "skipped")
CREDENTIAL_SPEC = re.compile(r"^(header|query):([^=]+)=(.*)$")


class Command(GatewayCommand):
    """Prints a report for a person, a line per operation, rather than the JSON the other commands print."""

    help = (
        "Import every operation of an OpenAPI 3.0/3.1 document (JSON or YAML) as an HTTP tool: its path and query "
        "parameters and its JSON request body (the property 'body') become the input schema. Owned by --tenant, else "
        "by the operator (offered to no tenant unless --offer-to-all). A tool of the same name and owner is updated: "
        "its description, schema, method, URL, query and body (and credentials, when given); its limits, roles and "
        "offer stay. Prints a line per operation: created, updated or skipped with the reason."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="Path of the document.")
        source.add_argument("--url", help="http(s) URL of the document; a relative server URL is resolved against it.")
        parser.add_argument("--tenant", help="Tenant id of the owner. Left out: the operator's tools.")
        parser.add_argument("--base-url", help="The API's base URL, instead of the document's first server.")
        parser.add_argument("--prefix", default="", help="Put in front of every tool name, e.g. 'petstore.'.")
        parser.add_argument(
            "--credential",
            action="append",
            dest="credentials",
            default=[],
            metavar="IN:NAME=VALUE",
            help=(
                "A vault secret every imported tool sends. IN is header or query, NAME the header or parameter, and "
                "VALUE names the secret in braces, once: 'header:Authorization=Bearer {petstore_token}', "
                "'query:api_key={petstore_key}'. Repeat for several. The secret must be in the owner's vault."
            ),
        )
        parser.add_argument(
            "--offer-to-all", action="store_true", help="Offer the operator's imported tools to every tenant."
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the report; write nothing.")

    def handle(self, *args, file, url, tenant, base_url, prefix, credentials, offer_to_all, dry_run, **options):
        owner = None if tenant is None else self.tenant(tenant)
        if owner is not None and offer_to_all:
            raise self.bad_input("--offer-to-all is for the operator's tools; leave out --tenant")
        references = [self.credential(spec) for spec in credentials]
        self.check_credentials(references, owner)
        raw, document_url = self.fetch(url) if url else (self.read(file), None)
        try:
            document = document_load(raw)
            plan = import_plan(
                document, base_url=base_url, document_url=document_url, prefix=prefix, credentials=references
            )
        except ImportRefused as refused:
            raise self.bad_input(str(refused)) from None
        whose = "the operator" if owner is None else f"tenant {owner.name} ({owner.id})"
        base = plan.base_url or "each operation's own"
        self.stdout.write(f"{plan.title or 'OpenAPI document'} for {whose}, base URL {base}")
        outcomes = [self.write(planned, owner, references, offer_to_all, dry_run) for planned in plan.tools]
        self.report(plan, outcomes, dry_run)

    # --- Reading the document --------------------------------------------------

    def read(self, path: str) -> bytes:
        limit = settings.GATEWAY_OPENAPI_IMPORT_MAX_BYTES
        try:
            with open(path, "rb") as document:
                raw = document.read(limit + 1)
        except OSError as failure:
            raise self.bad_input(f"Cannot read {path}: {failure.strerror or failure}") from None
        if len(raw) > limit:
            raise self.bad_input(f"{path} is larger than GATEWAY_OPENAPI_IMPORT_MAX_BYTES ({limit} bytes)")
        return raw

    def fetch(self, url: str) -> tuple[bytes, str]:
        """The document's bytes and the URL it was found at (after redirects, each to http or https only)."""
        deadline = time.monotonic() + FETCH_TIMEOUT_SECONDS
        try:
            with httpx.Client(timeout=FETCH_TIMEOUT_SECONDS / 3, follow_redirects=False) as client:
                for _ in range(MAX_REDIRECTS + 1):
                    if urlsplit(url).scheme not in ("http", "https"):
                        raise self.bad_input(f"Not an http:// or https:// URL: {url}")
                    with client.stream("GET", url, headers={"Accept": ACCEPTED_TYPES}) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers.get("location", ""))
                            continue
                        if response.status_code != 200:
                            raise self.bad_input(f"Fetching {url} answered {response.status_code}, not 200")
                        return self.bounded_body(response, url, deadline), url
        except (httpx.HTTPError, httpx.InvalidURL) as failure:
            raise self.bad_input(f"Could not fetch {url}: {failure or type(failure).__name__}") from None
        raise self.bad_input(f"Fetching {url}: more than {MAX_REDIRECTS} redirects")

    def bounded_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        limit = settings.GATEWAY_OPENAPI_IMPORT_MAX_BYTES
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise self.bad_input(f"{url} is larger than GATEWAY_OPENAPI_IMPORT_MAX_BYTES ({limit} bytes)")
            if time.monotonic() > deadline:
                raise self.bad_input(f"Fetching {url} took more than {FETCH_TIMEOUT_SECONDS} seconds")
        return bytes(body)

    # --- Credentials -----------------------------------------------------------

    def credential(self, spec: str) -> dict:
        """IN:NAME=VALUE → a definition's credential reference; VALUE holds {secret_name} once."""
        parsed = CREDENTIAL_SPEC.fullmatch(spec)
        secrets = re.findall(r"\{([^{}]*)\}", parsed.group(3)) if parsed else []
        if not parsed or len(secrets) != 1:
            raise self.bad_input(
                f"--credential '{spec}': header:NAME=VALUE or query:NAME=VALUE, VALUE naming one vault secret in "
                "braces, as in 'header:Authorization=Bearer {petstore_token}'"
            )
        placed, name, value = parsed.groups()
        return {
            "secret": secrets[0],
            "in": placed,
            "name": name,
            "format": value.replace(f"{{{secrets[0]}}}", "{secret}"),
        }

    def check_credentials(self, references: list[dict], owner: Tenant | None) -> None:
        """Refuse the whole import when a credential is unusable: every tool would carry it."""
        if not references:
            return
        probe = _definition(None) | {
            "name": "credential-check",
            "url_template": "https://example.invalid/",
            "credentials": references,
        }
        try:
            definition_check(probe, owner=owner)
        except ValidationFailed as refused:
            problems = [
                f"{field}: {message}"
                for field, messages in refused.errors.items()
                if field.startswith("credentials")
                for message in messages
            ]
            if problems:
                raise self.bad_input("; ".join(problems)) from None

    # --- Writing ---------------------------------------------------------------

    def write(self, planned: PlannedTool, owner, references, offer_to_all: bool, dry_run: bool) -> tuple[str, str]:
        """(what happened, the notes or the refusal) for one planned tool.

        An existing tool keeps what the document does not say: its limits, roles, static headers, its
        credentials unless --credential is given, and its offer unless --offer-to-all is.
        """
        fields = planned.fields | ({"credentials": references} if references else {})
        existing = HttpTool.objects.filter(tenant=owner, name=fields["name"]).first()
        try:
            if dry_run:
                definition_check(_definition(existing) | fields, owner=owner)
            elif existing is None:
                http_tool_create(owner=owner, fields=fields | {"offered_to_all": offer_to_all})
            else:
                http_tool_update(tool=existing, fields=fields | ({"offered_to_all": True} if offer_to_all else {}))
        except ValidationFailed as refused:
            return "skipped", "; ".join(f"{field}: {' '.join(messages)}" for field, messages in refused.errors.items())
        done = "created" if existing is None else "updated"
        return (f"would {done[:-1]}" if dry_run else done), "; ".join(planned.notes)

    def report(self, plan: ImportPlan, outcomes: list[tuple[str, str]], dry_run: bool) -> None:
        """A line per operation, imported ones first, in the document's order; then the counts."""
        lines = [(outcome, tool.operation, why) for tool, (outcome, why) in zip(plan.tools, outcomes, strict=True)]
        lines += [("skipped", skipped.operation, skipped.reason) for skipped in plan.skipped]
        width = max((len(operation.name) for _, operation, _ in lines), default=0)
        for outcome, operation, why in lines:
            line = f"{outcome:<12} {operation.name or '-':<{width}}  {operation.method:<6} {operation.path}"
            if outcome == "skipped":
                line += f": {why}"
            elif why:
                line += f"  ({why})"
            self.stdout.write(line)
        counts = Counter(outcome for outcome, _, _ in lines)
        summary = ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES if counts[outcome])
        self.stdout.write(f"{summary or 'No operations'}." + (" Dry run: nothing written." if dry_run else ""))


def _definition(tool: HttpTool | None) -> dict:
    """A stored tool's definition fields, or a new one's defaults."""
    if tool is None:
        return {name: HttpTool._meta.get_field(name).get_default() for name in DEFINITION_FIELDS}
    return {name: getattr(tool, name) for name in DEFINITION_FIELDS}
