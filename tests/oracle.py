"""Compare a refusal with a not-found answer, to prove there is no existence oracle."""

import re

_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def fingerprint(response, url: str) -> tuple[int, bytes]:
    """Status and body, without what legitimately differs: the echoed URL and CSRF masks."""
    body = _CSRF.sub(b'name="csrfmiddlewaretoken"', response.content)
    return response.status_code, body.replace(url.encode(), b"<url>")
