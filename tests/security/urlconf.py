"""Every URL the project serves, read from the URLconf (never a hand-kept list).

A new page or endpoint is covered by the security tests as soon as it is routed; a route with
a parameter the tests cannot fill fails them (`url_for`), so nothing is skipped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", as reverse() takes it
    route: str  # the pattern as written, prefixes joined ("leads/<int:pk>/", "api/v1/^leads/$")
    params: tuple[str, ...]
    callback: object

    @property
    def path_prefix(self) -> str:
        """The route's literal start, for telling what a bare `pk` names ("leads/cases/")."""
        plain = self.route.replace("^", "").replace("$", "")
        return re.split(r"<|\(", plain, maxsplit=1)[0]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None, params: tuple) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), ns, params + _params(entry.pattern))
            elif isinstance(entry, URLPattern):
                if entry.name is None:
                    raise AssertionError(f"unnamed route {prefix}{entry.pattern}: name it")
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append(
                    Route(
                        name=name,
                        route=prefix + str(entry.pattern),
                        params=params + _params(entry.pattern),
                        callback=entry.callback,
                    )
                )

    walk(get_resolver(), "", None, ())
    return found


def url_for(route: Route, values: dict[str, object], pk_by_prefix: list[tuple[str, object]]):
    """The route's URL with ids of real objects. Fails loudly for a parameter it cannot fill."""
    kwargs: dict[str, object] = {}
    for param in route.params:
        if param == "pk":
            for prefix, value in pk_by_prefix:
                if route.path_prefix.startswith(prefix):
                    kwargs[param] = value
                    break
            else:
                raise AssertionError(f"{route.name} ({route.route}): no object for its pk")
        elif param in values:
            kwargs[param] = values[param]
        else:
            raise AssertionError(f"{route.name} ({route.route}): no value for <{param}>")
    return reverse(route.name, kwargs=kwargs)
