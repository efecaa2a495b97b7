"""Runs the probes of the isolation matrix and counts what it finds.

A probe is one request by one role. Each checks up to three things:
- status: the refusal expected for the role (signed out: the sign-in page or 401/403;
  signed in: 403/404/405, or 400 for a write whose body the API refuses);
- oracle: the answer equals, byte for byte (after removing the echoed URL, id and CSRF mask),
  the answer to the same request naming an id that does not exist;
- canary: no string planted in a record the role may not see appears in the answer.
Writes are also checked for effect: a snapshot of every app table before and after each
operation's probes must be the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.apps import apps
from django.test import Client

from .endpoints import BODY_ID_KINDS, CAPABILITY_KINDS, PUBLIC_NAMES, Op, body_example
from .world import MISSING_ID, PUBLIC_KINDS, RECORD_KINDS, Obj, Role, World, addressable, sees

SNAPSHOT_APPS = ("embassies", "sharing", "indicators", "cases", "victims", "guardian")
SNAPSHOT_SKIP = {"last_login"}
# Body fields of searches sent by POST (the terms must not appear in a URL).
SEARCH_BODY_FIELDS = {"passport", "q", "query"}
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@dataclass
class Finding:
    kind: str  # status | oracle | leak | write | error
    role: str
    op: str
    detail: str


@dataclass
class Tally:
    probes: Counter = field(default_factory=Counter)  # by probe type
    ops: set = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


class _Forms(HTMLParser):
    """The forms of a page: action, method and the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in fields:
                    fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if value and (not fields[self._select] or "selected" in a):
                fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None


def page_forms(html: bytes) -> list[dict]:
    parser = _Forms()
    parser.feed(html.decode("utf-8", "replace"))
    return parser.forms


def snapshot() -> str:
    """A digest of every row of the app tables (sessions and lockout logs excluded)."""
    digest = hashlib.sha256()
    for config in SNAPSHOT_APPS:
        for model in apps.get_app_config(config).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.name not in SNAPSHOT_SKIP]
            for row in model._default_manager.order_by("pk").values_list(*names):
                digest.update(repr((model._meta.label, row)).encode())
    return digest.hexdigest()


def fingerprint(
    response, url: str, ids: tuple[object, ...] = (), typed: str = ""
) -> tuple[int, bytes]:
    body = _CSRF.sub(b'name="csrfmiddlewaretoken"', response.content)
    body = body.replace(url.encode(), b"<url>")
    if typed:  # a search echoes what was typed (in the box, the next= link, an error)
        body = body.replace(typed.encode(), b"<typed>")
    for value in ids:
        if not str(value).isdigit() or int(str(value)) < 100_000:
            continue  # only the world's six-digit ids are told apart from other numbers
        body = re.sub(rb"\b" + re.escape(str(value).encode()) + rb"\b", b"<id>", body)
    return response.status_code, body


class Prober:
    def __init__(self, world: World, clients: dict[str, Client], *, sample: int | None = None):
        self.world = world
        self.clients = clients
        self.tally = Tally()
        self.sample = sample  # at most this many foreign objects per (op, role, param)
        self._missing: dict[tuple, tuple[int, bytes]] = {}
        self.templates: dict[str, dict] = {}  # page op path -> harvested form body

    # --- requests -----------------------------------------------------------------------

    def _send(self, role: Role, op: Op, url: str, body: dict | None, query: dict | None = None):
        client = self.clients[role.name]
        if op.method == "GET":
            return client.get(url, query or {})
        if op.surface == "api":
            return client.generic(
                op.method, url, json.dumps(body or {}), content_type="application/json"
            )
        return client.post(url, body or {})

    def _body(self, op: Op) -> dict:
        if op.surface == "api":
            return body_example(op.body_schema)
        return dict(self.templates.get(op.path, {"text": "CNRYWRITE probe", "note": "probe"}))

    def _check_common(self, role: Role, op: Op, response, what: str, typed: str = "") -> None:
        t = self.tally
        if response.status_code >= 500:
            t.findings.append(
                Finding("error", role.name, op.key, f"{what}: {response.status_code}")
            )
        text = response.content + repr(sorted(response.headers.items())).encode()
        if typed:  # what the user typed comes back in the search box: that is no leak
            text = text.replace(typed.encode(), b"")
        for value, obj in self.world.hidden_strings(role):
            if value.encode() in text:
                t.findings.append(
                    Finding("leak", role.name, op.key, f"{what}: shows {value} of {obj.label()}")
                )

    def _expect_refused(self, role: Role, op: Op, response, what: str) -> None:
        code = response.status_code
        if role.user is None:
            if op.surface == "page":
                ok = code == 302 and "/accounts/login/" in response.get("Location", "")
            else:
                ok = code in (401, 403)
        else:
            ok = code in (403, 404, 405) or (code == 400 and op.writes)
        if not ok:
            self.tally.findings.append(Finding("status", role.name, op.key, f"{what}: {code}"))

    # --- the probes ---------------------------------------------------------------------

    def object_probes(self, op: Op) -> None:
        """Name a foreign object (or an id of the wrong kind) in the URL: refused like a
        missing id, nothing shown, nothing changed."""
        for role in self.world.roles:
            for param, kind in op.params.items():
                if kind in CAPABILITY_KINDS:
                    continue
                others = {}
                for p2, k2 in op.params.items():
                    if p2 != param:
                        own = self.world.own(k2, role)
                        others[p2] = own.pk if own else MISSING_ID
                targets: list[tuple[str, object]] = []
                if kind in PUBLIC_KINDS:
                    # The catalogue is visible to members; only non-curators' writes are probed.
                    if op.writes and not role.curator:
                        targets = [("write", o.pk) for o in self.world.of_kind(kind)]
                else:
                    foreign = self.world.foreign(kind, role)
                    if self.sample:
                        foreign = foreign[: self.sample]
                    targets = [("foreign", o.pk) for o in foreign]
                    if kind in RECORD_KINDS or kind in ("match", "freeze", "case_task"):
                        # Ids of the wrong kind: objects the role may see, of another table.
                        wrong = [
                            ("wrong-kind", own.pk)
                            for k2 in (*RECORD_KINDS, "match", "freeze")
                            if k2 != kind and (own := self.world.own(k2, role)) is not None
                        ]
                        targets += wrong[: self.sample] if self.sample else wrong
                for label, pk in targets:
                    self._object_probe(role, op, param, kind, pk, others, label)

    def _object_probe(self, role, op, param, kind, pk, others, label) -> None:
        url = op.url({**others, param: pk})
        what = f"{label} {param}={pk} url={url}"
        response = self._send(role, op, url, self._body(op))
        self.tally.probes[f"{op.surface} {label}"] += 1
        self.tally.ops.add(op.key)
        self._check_common(role, op, response, what)
        if label == "write":
            return  # the catalogue is no secret: what counts is that nothing changed
        self._expect_refused(role, op, response, what)
        missing_url = op.url({**others, param: MISSING_ID})
        key = (role.name, op.key, missing_url)
        if key not in self._missing:
            answer = self._send(role, op, missing_url, self._body(op))
            self._missing[key] = fingerprint(answer, missing_url, (MISSING_ID,))
        got = fingerprint(response, url, (pk,))
        if got != self._missing[key]:
            self.tally.findings.append(
                Finding(
                    "oracle",
                    role.name,
                    op.key,
                    f"{what}: differs from a missing id" + _diff(got, self._missing[key]),
                )
            )

    def body_probes(self, op: Op) -> None:
        """A write whose body names a foreign object (or one of the wrong kind)."""
        if not op.writes:
            return
        body = self._body(op)
        fields = [f for f in body if f in BODY_ID_KINDS]
        for role in self.world.roles:
            if role.user is None:
                continue
            url = self._own_url(op, role, skip=PUBLIC_KINDS)
            if url is None:
                continue
            for name in fields:
                kind = BODY_ID_KINDS[name]
                targets = [("body-foreign", o.pk) for o in self.world.foreign(kind, role)]
                if self.sample:
                    targets = targets[: self.sample]
                for k2 in RECORD_KINDS:
                    own = self.world.own(k2, role)
                    if k2 != kind and own is not None:
                        targets.append(("body-wrong-kind", own.pk))
                for label, pk in targets:
                    self._body_probe(role, op, url, body, name, pk, label)

    def _body_probe(self, role, op, url, body, name, pk, label) -> None:
        def with_id(value):
            many = isinstance(body.get(name), list) or name.endswith("s")
            return {**body, name: [value] if many else value}

        what = f"{label} {name}={pk} url={url}"
        response = self._send(role, op, url, with_id(pk))
        self.tally.probes[f"{op.surface} {label}"] += 1
        self.tally.ops.add(op.key)
        self._check_common(role, op, response, what)
        if response.status_code in (200, 201, 204) and op.surface == "api":
            self.tally.findings.append(Finding("status", role.name, op.key, f"{what}: accepted"))
        answer = self._send(role, op, url, with_id(MISSING_ID))
        got, want = fingerprint(response, url, (pk,)), fingerprint(answer, url, (MISSING_ID,))
        if got != want:
            self.tally.findings.append(
                Finding(
                    "oracle",
                    role.name,
                    op.key,
                    f"{what}: differs from a missing id" + _diff(got, want),
                )
            )

    def collection_probes(self, op: Op, search_terms: dict[str, list[tuple[str, Obj]]]) -> None:
        """Lists, counts, searches, exports, statistics, notifications: no hidden record, and a
        search for a hidden record's value answers as a search for a value nobody reported."""
        if op.params:
            return
        if op.writes:
            self._search_by_post(op, search_terms)
            return
        for role in self.world.roles:
            url = op.path
            response = self._send(role, op, url, None)
            self.tally.probes[f"{op.surface} list"] += 1
            self.tally.ops.add(op.key)
            self._check_common(role, op, response, f"list {url}")
            if role.user is None and op.name not in PUBLIC_NAMES and op.surface == "page":
                self._expect_refused(role, op, response, f"list {url}")
            if role.user is None and op.surface == "api" and not op.path.startswith("/api/schema"):
                self._expect_refused(role, op, response, f"list {url}")
            fields = self._query_fields(role, op, response)
            for field_name in fields[: self.sample] if self.sample else fields:
                self._search(
                    role, op, search_terms, lambda v, f=field_name: (None, {f: v}), f"{field_name}"
                )

    def _search_by_post(self, op: Op, search_terms: dict[str, list[tuple[str, Obj]]]) -> None:
        """Searches whose terms travel in the body (a passport number must stay out of URLs)."""
        fields = [f for f in self._body(op) if f in SEARCH_BODY_FIELDS]
        for role in self.world.roles:
            if role.user is None:
                continue
            for field_name in fields:
                self._search(
                    role,
                    op,
                    search_terms,
                    lambda v, f=field_name: ({**self._body(op), f: v}, None),
                    field_name,
                )

    def _search(self, role: Role, op: Op, search_terms, request_for, field_name: str) -> None:
        """A search for each hidden record's value must answer exactly as a search for a value
        of the same shape that nobody reported. `request_for(value)` gives (body, query)."""
        url = op.path
        for shape, terms in search_terms.items():
            hidden = [(v, o) for v, o in terms if not sees(o, role)]
            hidden = hidden[: self.sample] if self.sample else hidden
            if not hidden:
                continue
            base_fp = fingerprint(self._send(role, op, url, *request_for(shape)), url, typed=shape)
            for value, obj in hidden:
                answer = self._send(role, op, url, *request_for(value))
                self.tally.probes[f"{op.surface} search"] += 1
                self.tally.ops.add(op.key)
                what = f"search {field_name}={value} ({obj.label()}) url={url}"
                self._check_common(role, op, answer, what, typed=value)
                got = fingerprint(answer, url, typed=value)
                if got != base_fp:
                    self.tally.findings.append(
                        Finding(
                            "oracle",
                            role.name,
                            op.key,
                            f"{what}: differs from a value nobody reported" + _diff(got, base_fp),
                        )
                    )

    def _query_fields(self, role: Role, op: Op, response) -> list[str]:
        if role.user is None or response.status_code != 200:
            return []
        if op.surface == "api":
            return [q for q in op.query if q not in ("limit", "offset", "format", "types")]
        fields = []
        for form in page_forms(response.content):
            if form["method"] == "get" and form["action"] in ("", op.path):
                fields += [f for f in form["fields"] if f not in ("page", "lang")]
        return list(dict.fromkeys(fields))

    def visible_probes(self, op: Op) -> None:
        """Pages and API details of objects the role may see must not show hidden ones that
        they link to (a case linking a lead the viewer may not see, a compound's matches)."""
        if op.writes or not op.params:
            return
        for role in self.world.roles:
            choices = {}
            for p, k in op.params.items():
                objs = [o for o in self.world.of_kind(k) if addressable(o, role)]
                if k in CAPABILITY_KINDS or not objs:
                    break
                choices[p] = objs
            else:
                # One probe per object of the first parameter, the rest fixed.
                first, *rest = choices
                fixed = {p: choices[p][0].pk for p in rest}
                for obj in choices[first]:
                    url = op.url({**fixed, first: obj.pk})
                    response = self._send(role, op, url, None)
                    self.tally.probes[f"{op.surface} visible"] += 1
                    self.tally.ops.add(op.key)
                    self._check_common(role, op, response, f"visible {url}")

    def reads(self, role: Role, ops: list[Op]) -> dict[str, tuple[int, bytes]]:
        """Every GET the role can make: lists, and details of what the role may see."""
        out = {}
        for op in ops:
            if op.writes:
                continue
            url = self._own_url(op, role, skip=CAPABILITY_KINDS)
            if url is None:
                continue
            response = self._send(role, op, url, None)
            self.tally.probes[f"{op.surface} count"] += 1
            out[url] = fingerprint(response, url)
        return out

    def _own_url(self, op: Op, role: Role, *, skip) -> str | None:
        """The operation's URL naming the role's own objects; None if it has none to name
        (or a parameter of a kind in `skip`)."""
        values = {}
        for p, k in op.params.items():
            own = self.world.own(k, role)
            if own is None or k in skip:
                return None
            values[p] = own.pk
        return op.url(values)

    def harvest(self, page_ops: list[Op]) -> None:
        """Collect realistic POST bodies: the forms the owners themselves are shown."""
        for role in self.world.roles:
            if role.user is None:
                continue
            for op in page_ops:
                if op.writes:
                    continue
                url = self._own_url(op, role, skip=CAPABILITY_KINDS)
                if url is None:
                    continue
                response = self.clients[role.name].get(url)
                if response.status_code != 200:
                    continue
                for form in page_forms(response.content):
                    if form["method"] != "post":
                        continue
                    template = _template_of(form["action"] or url, page_ops)
                    if template and template not in self.templates:
                        body = {k: (v or "CNRYWRITE probe") for k, v in form["fields"].items()}
                        self.templates[template] = body


def _diff(got: tuple[int, bytes], want: tuple[int, bytes]) -> str:
    if got[0] != want[0]:
        return f" (status {got[0]} vs {want[0]})"
    a, b = got[1], want[1]
    i = next((n for n in range(min(len(a), len(b))) if a[n] != b[n]), min(len(a), len(b)))
    return f" (at byte {i}: {a[max(0, i - 60) : i + 60]!r} vs {b[max(0, i - 60) : i + 60]!r})"


def _template_of(path: str, ops: list[Op]) -> str | None:
    for op in ops:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(op.path)) + "$"
        if re.match(pattern, path):
            return op.path
    return None


def sees_any(obj: Obj, roles: list[Role]) -> list[str]:
    return [r.name for r in roles if sees(obj, r)]
