"""The exchange's HTTP face: the endpoint table, the request pipeline and everything a request passes.

``endpoints`` declares every route and ``handlers`` answers each one (``@handles``); ``pipeline`` runs
each request through one ordered list of checks (in-flight reset, size, faults, path, method, per-IP
limit, signature, per-key limit, nonce and access, parameters, handler) and records one verdict in
the ``journal``.
"""

from .auth import PROFILES, NonceStore, VerificationProfile, canonical_query, sign
from .endpoints import ENDPOINTS, Endpoint
from .journal import Journal

__all__ = [
    "ENDPOINTS",
    "PROFILES",
    "Endpoint",
    "Journal",
    "NonceStore",
    "VerificationProfile",
    "canonical_query",
    "sign",
]
