"""Every page and API operation, read from the URLconf and the OpenAPI schema, classified.

Nothing here lists endpoints by hand: pages come from the URL resolver and API operations
from drf-spectacular's schema. What is hand-written is how to read a URL parameter or a body
field (which kind of object an id names); a parameter or an id-like body field that no rule
explains makes `classify()` report it, and the matrix test fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

# (path regex, parameter) -> kind of object the parameter names. First match wins.
PARAM_RULES: list[tuple[str, str, str]] = [
    (r"^/leads/cases/\{pk\}", "pk", "case"),
    (r"^/leads/freezes/\{pk\}", "pk", "freeze"),
    (r"^/leads/access-requests/\{pk\}", "pk", "access_request"),
    (r"^/leads/\{pk\}", "pk", "lead"),
    (r"^/victims/\{pk\}", "pk", "victim"),
    (r"^/(ip|leads/cases)/", "report_id", "ip_report"),
    (r"^/leads/cases/", "victim_id", "victim"),
    (r"^/leads/cases/", "task_id", "case_task"),
    (r"^/ip/", "job_id", "upload_job"),
    (r"^/ip/", "match_id", "match"),
    (r"^/ip/", "compound_id", "compound"),
    (r"^/ip/", "evidence_id", "evidence"),
    (r"^/ip/", "entry_id", "warn_entry"),
    (r"^/workspaces/", "slug", "workspace"),
    (r"^/workspaces/", "user_id", "member"),
    (r"^/workspaces/", "invitation_id", "invitation"),
    (r"^/invite/", "token", "invite_token"),
    (r"^/(settings|workspaces)/", "token_id", "api_token"),
    (r"^/api/v1/ip-reports/", "id", "ip_report"),
    (r"^/api/v1/ip-matches/", "id", "match"),
    (r"^/api/v1/compounds/", "id", "compound"),
    (r"^/api/v1/leads/", "id", "lead"),
    (r"^/api/v1/freeze-requests/", "id", "freeze"),
    (r"^/api/v1/cases/", "id", "case"),
    (r"^/api/v1/cases/", "report_id", "ip_report"),
    (r"^/api/v1/cases/", "victim_id", "victim"),
    (r"^/api/v1/access-requests/", "id", "access_request"),
    (r"^/api/v1/victims/", "id", "victim"),
    (r"^/api/v1/workspaces/", "slug", "workspace"),
]

# Body fields (API schema properties and page form fields) that name an object by id.
BODY_ID_KINDS = {
    "lead": "lead",
    "leads": "lead",
    "via_lead": "lead",
    "report": "ip_report",
    "report_id": "ip_report",
    "victim": "victim",
    "victim_id": "victim",
    "case": "case",
    "case_id": "case",
}
# Id-like fields that name no record: who else may see a record (sharing with another
# workspace is the point of sharing), a person to assign, a catalogue entry.
BODY_ID_NOT_RECORDS = {
    "shared_with",
    "workspaces",
    "assignee",
    "lead_analyst",
    "compound",
    "compound_refs",
    "record",
    "user",
}

# Kinds addressed by a capability in the URL, not by an id anyone could guess.
CAPABILITY_KINDS = {"invite_token"}

# Pages anyone may open signed out (the sign-in flow, health, language, API description).
PUBLIC_NAMES = {
    "login",
    "logout",
    "otp_verify",
    "otp_enrol",
    "healthz",
    "readyz",
    "metrics",
    "set_language",
    "invitation_accept",
    "schema",
    "api_docs",
}


@dataclass
class Op:
    surface: str  # "page" or "api"
    path: str  # template, e.g. /leads/{pk}/comment/
    method: str
    name: str
    params: dict[str, str] = field(default_factory=dict)  # parameter -> kind
    body_schema: dict | None = None  # API request body (resolved JSON schema)
    query: list[str] = field(default_factory=list)  # API query parameter names

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def url(self, values: dict[str, object]) -> str:
        out = self.path
        for name, value in values.items():
            out = out.replace("{" + name + "}", str(value))
        return out


def _normalise(route: str) -> str:
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\.", ".")


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield _normalise(prefix + str(p.pattern)), p.name or ""


def url_routes() -> list[tuple[str, str]]:
    """(path template, URL name) of every route in the URLconf."""
    return list(dict.fromkeys(_walk(get_resolver().url_patterns)))


def _params(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def param_kind(path: str, param: str) -> str | None:
    for pattern, name, kind in PARAM_RULES:
        if name == param and re.search(pattern, path):
            return kind
    return None


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    return node


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@dataclass
class Inventory:
    ops: list[Op]
    unclassified: list[str]


def inventory() -> Inventory:
    """Every page (GET and POST) and every API operation, with its parameters classified."""
    ops: list[Op] = []
    problems: list[str] = []
    schema = api_schema()
    api_paths = set()
    for path, item in schema["paths"].items():
        api_paths.add(re.sub(r"\{\w+\}", "{}", path))
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = None
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(schema, content["application/json"]["schema"])
                body = {
                    "properties": {
                        k: _resolve(schema, v)
                        for k, v in body.get("properties", {}).items()
                        if not v.get("readOnly")
                    },
                    "required": body.get("required", []),
                }
            query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            ops.append(
                Op(
                    "api",
                    path,
                    method.upper(),
                    op.get("operationId", path),
                    body_schema=body,
                    query=query,
                )
            )
    for path, name in url_routes():
        if path.startswith("/api/v1/"):
            # API routes are probed from the schema; a route the schema lacks is unexplained.
            if re.sub(r"\{\w+\}", "{}", path) not in api_paths:
                problems.append(f"{path}: API route missing from the OpenAPI schema")
            continue
        if path.startswith("/static/"):
            continue
        for method in ("GET", "POST"):
            ops.append(Op("page", path, method, name))
    for op in ops:
        for param in _params(op.path):
            kind = param_kind(op.path, param)
            if kind is None:
                problems.append(f"{op.key}: parameter {{{param}}} names no known kind")
            else:
                op.params[param] = kind
        for prop, spec in (op.body_schema or {}).get("properties", {}).items():
            idlike = spec.get("type") == "integer" or (
                spec.get("type") == "array" and spec.get("items", {}).get("type") == "integer"
            )
            if idlike and prop not in BODY_ID_KINDS and prop not in BODY_ID_NOT_RECORDS:
                problems.append(f"{op.key}: body field {prop!r} looks like an id of no known kind")
    return Inventory(ops=ops, unclassified=problems)


def body_example(schema: dict | None) -> dict:
    """A body that passes validation where it can: first enum value, a date, a short text."""
    body: dict = {}
    for prop, spec in (schema or {}).get("properties", {}).items():
        kind = spec.get("type")
        if "enum" in spec:
            values = [v for v in spec["enum"] if v not in ("", None)]
            body[prop] = values[0] if values else ""
        elif kind == "boolean":
            body[prop] = True
        elif kind == "integer":
            body[prop] = 1
        elif kind == "array":
            body[prop] = []
        elif kind == "object":
            body[prop] = {}
        elif spec.get("format") == "date":
            body[prop] = "2026-01-02"
        elif spec.get("format") == "date-time":
            body[prop] = "2026-01-02T03:04:05Z"
        else:
            body[prop] = "CNRYWRITE probe"
    return body
