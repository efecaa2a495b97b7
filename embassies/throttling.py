"""API rate limits (rates in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES), counted in the cache.

Over a limit DRF answers 429 with a message and `Retry-After`. If the cache itself cannot be
reached the request is let through and the failure logged: a cache outage must not become an
API outage (and the fault tests stop Redis while officers keep submitting).
"""

from __future__ import annotations

import logging

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class _FailOpen(SimpleRateThrottle):
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache backend's own error (e.g. redis ConnectionError)
            logger.exception("throttle %s: cache unavailable; request allowed", self.scope)
            return True


class AnonThrottle(_FailOpen, AnonRateThrottle):
    """Requests without credentials, per client address (only open endpoints count)."""


class UserThrottle(_FailOpen, UserRateThrottle):
    """Requests of one account, whether by token or by session."""


class ApiTokenIssueThrottle(_FailOpen, UserRateThrottle):
    """How often one account may create API tokens (the account page, a plain Django view).

    A person makes a token now and then; a burst means a script or a stolen session.
    """

    scope = "api_token_issue"
