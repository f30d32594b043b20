"""OpenAPI 3.0/3.1 schemas as JSON Schema 2020-12, for the input schemas of imported HTTP tools.

A tool's input schema must stand alone, so the component schemas an operation reaches
(`#/components/schemas/X`) travel with it as `$defs`, every `$ref` rewritten to `#/$defs/X`:
a recursive schema still validates. OpenAPI 3.0's own keywords take their JSON Schema form
(`nullable`, boolean `exclusiveMinimum`), and serialisation hints are dropped.
"""

import re
from urllib.parse import unquote

SCHEMA_REF_PREFIX = "#/components/schemas/"
DEFS_REF_PREFIX = "#/$defs/"

# Where JSON Schema keywords hold schemas; every other keyword holds a value, copied as it is.
_SCHEMA_KEYWORDS = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
        "contentSchema",
    }
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})
# Serialisation hints with no meaning for a JSON payload; `$id` and `$schema` would change what the
# rewritten `#/$defs/...` references resolve against.
_DROPPED_KEYWORDS = frozenset({"xml", "discriminator", "externalDocs", "$id", "$schema"})


class SchemaUnmappable(Exception):
    """A schema the converter cannot carry over; the message says why."""


def pointer_tokens(reference: str) -> list[str]:
    """The keys a local reference (`#/a/b%20c/d~1e`) walks: ['a', 'b c', 'd/e']."""
    return [unquote(token).replace("~1", "/").replace("~0", "~") for token in reference[2:].split("/")]


class SchemaConverter:
    """Converts the schemas of one document; a component schema is converted once, however often reached."""

    def __init__(self, document: dict):
        components = document.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        self.components = schemas if isinstance(schemas, dict) else {}
        self.openapi_30 = str(document.get("openapi", "")).startswith("3.0")
        self._converted: dict[str, tuple[object, set[str]]] = {}

    def convert(self, schema, references: set[str]):
        """`schema` in JSON Schema 2020-12; the component names it refers to are added to `references`."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            raise SchemaUnmappable("A schema is neither an object nor a boolean.")
        if "$ref" in schema:
            reference = self._reference(schema["$ref"], references)
            if self.openapi_30:  # in 3.0 a $ref's siblings are ignored
                return {"$ref": reference}
            schema = {**schema, "$ref": reference}
        converted = {}
        for keyword, value in schema.items():
            if keyword in _DROPPED_KEYWORDS or keyword.startswith("x-"):
                continue
            if keyword in _SCHEMA_KEYWORDS:
                converted[keyword] = self.convert(value, references)
            elif keyword in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
                converted[keyword] = [self.convert(item, references) for item in value]
            elif keyword in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
                converted[keyword] = {name: self.convert(item, references) for name, item in value.items()}
            else:
                converted[keyword] = value
        return _openapi_30_keywords(converted) if self.openapi_30 else converted

    def definitions(self, references: set[str]) -> dict:
        """Every component schema `references` reach, directly or through one another, converted, by name."""
        found: dict = {}
        pending = set(references)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            if name not in self.components:
                raise SchemaUnmappable(f"$ref '{SCHEMA_REF_PREFIX}{name}' names no schema in components.schemas.")
            if name not in self._converted:
                reached: set[str] = set()
                self._converted[name] = (self.convert(self.components[name], reached), reached)
            found[name], reached = self._converted[name]
            pending |= reached - found.keys()
        return dict(sorted(found.items()))

    def declared_type(self, converted) -> str | None:
        """The one JSON type (besides null) a converted schema declares, following a `$ref` to a component."""
        if isinstance(converted, dict) and "type" not in converted and "$ref" in converted:
            tokens = pointer_tokens(converted["$ref"])
            converted = self.components.get(tokens[1]) if len(tokens) == 2 else None
        declared = converted.get("type") if isinstance(converted, dict) else None
        kinds = [declared] if isinstance(declared, str) else [kind for kind in declared or [] if kind != "null"]
        return kinds[0] if len(kinds) == 1 else None

    @staticmethod
    def _reference(reference, references: set[str]) -> str:
        if not isinstance(reference, str) or not reference.startswith(SCHEMA_REF_PREFIX):
            raise SchemaUnmappable(f"Schema $ref '{reference}' is not to {SCHEMA_REF_PREFIX}...; no other is read.")
        references.add(pointer_tokens(reference)[2])
        return DEFS_REF_PREFIX + reference[len(SCHEMA_REF_PREFIX) :]


def _openapi_30_keywords(schema: dict) -> dict:
    """3.0's `nullable` and boolean exclusive bounds in their JSON Schema form."""
    # 3.0.3: nullable adds "null" to the type only where a type is given; other keywords keep their say.
    if schema.pop("nullable", False) is True and "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = kinds if "null" in kinds else [*kinds, "null"]
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(schema.get(exclusive), bool) and schema.pop(exclusive) and bound in schema:
            schema[exclusive] = schema.pop(bound)
    return schema


def is_json_media_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or bool(re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]*\+json", essence))
