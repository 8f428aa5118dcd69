"""The products one server serves, each declared once: spot and USDT-M futures.

A :class:`Product` is everything of the request path that differs between the exchange's APIs:
its path prefix, its endpoint table (and so its handlers and parameter validators), its envelope
writers for success and error, the success ``msg``, the codes any of its endpoints may answer
before its handler runs, and the translation of the shared errors - the ones the pipeline and the
auth raise (:class:`~mockserver.errors.SignatureError`, ``ApiKeyNotFound``, ``ParameterError``, ...)
- into the product's own. Everything else (auth, nonce store, clock, journal, faults, rate limits,
doctor, tenancy, persistence) is one path that reads the product of a request: from its endpoint,
or, for a path no endpoint has, from the prefix it starts with (:func:`product_of_path`).

A third product (USDC-M, coin-M) is one more declaration here and its own endpoint table,
handlers and error module; see ARCHITECTURE.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    ERROR_TABLE,
    ApiKeyNotFound,
    BitunixError,
    BodyTooLarge,
    ErrorInfo,
    IpNotAllowed,
    MethodNotAllowed,
    MissingParameter,
    NoAuthority,
    NonceInvalid,
    NonceReused,
    NotFound,
    ParameterError,
    RequestExpired,
    SignatureError,
    SystemError,
    TooFrequent,
)
from ..futures_errors import (
    FUTURES_ERROR_TABLE,
    FApiKeyEmpty,
    FApiKeyNoPermission,
    FIpNotAllowed,
    FNotFound,
    FParameterError,
    FSignatureError,
    FSystemError,
    FTooFrequent,
    FuturesError,
    FValueNotAllowed,
)
from . import futures_handlers  # noqa: F401  (registers the futures rows' handlers before bind below)
from .endpoints import AUTH_ERRORS, ENDPOINTS, EXAMPLE_IDS, SPOT_PREFIX, Endpoint
from .futures_endpoints import FUTURES_ENDPOINTS, FUTURES_EXAMPLE_IDS, FUTURES_PREFIX
from .handlers import Handler, bind
from .params import Validator, compile_params
from .reply import error_body, numeric_error_body, numeric_success_body, success_body

__all__ = [
    "ERROR_CODES",
    "FUTURES",
    "OPERATIONS",
    "PRODUCTS",
    "SPOT",
    "Product",
    "check_operations",
    "endpoint_at",
    "futures_error",
    "product_of_path",
]

#: The envelope of a success: (data, msg) -> body bytes.
SuccessWriter = Callable[[Any, str], bytes]
#: The envelope of a refusal: (code, msg) -> body bytes.
ErrorWriter = Callable[[str, str], bytes]
#: A shared error (raised by the pipeline, the auth or a shared engine part) -> the product's own.
Translate = Callable[[BitunixError], BitunixError]


@dataclass(frozen=True, eq=False)
class Product:
    """One API the server serves: where it lives, what it answers, and in which words.

    ``handlers`` must hold exactly the operations of ``endpoints`` (checked here, at import).
    ``success_msg`` is the ``msg`` of every success, or ``None`` where each row says its own
    (:attr:`Endpoint.success_msg`: spot's msg differs per endpoint). ``replay_switch`` names the
    fidelity switch that decides whether a reused nonce is refused on this product (``"profile"``:
    as the verification profile says); ``None``: the profile alone decides.
    """

    name: str
    prefix: str
    title: str
    endpoints: tuple[Endpoint, ...]
    handlers: Mapping[str, Handler]
    success_body: SuccessWriter
    error_body: ErrorWriter
    translate: Translate
    errors: Mapping[str, ErrorInfo]
    auth_errors: tuple[str, ...]  # codes any signed endpoint may answer before its handler, in checking order
    limit_error: str  # the code of a rate-limit refusal (what a public endpoint may answer before its handler)
    success_msg: str | None = None
    replay_switch: str | None = None
    example_ids: Mapping[str, Any] = field(default_factory=dict)
    validators: dict[str, Validator] = field(init=False, repr=False)
    by_path: dict[str, Endpoint] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ops = [ep.operation for ep in self.endpoints]
        missing = [op for op in ops if op not in self.handlers]
        extra = sorted(set(self.handlers) - set(ops))
        if missing or extra:
            raise RuntimeError(f"product {self.name}: no handler for {missing}, no endpoint for {extra}")
        outside = [ep.path for ep in self.endpoints if not self.owns(ep.path)]
        if outside:
            raise RuntimeError(f"product {self.name}: paths outside {self.prefix}: {outside}")
        object.__setattr__(self, "validators", {ep.operation: compile_params(ep.params) for ep in self.endpoints})
        object.__setattr__(self, "by_path", {ep.path: ep for ep in self.endpoints})

    def owns(self, path: str) -> bool:
        """Whether ``path`` lies under this product's prefix."""
        prefix = self.prefix
        return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/")

    def msg_of(self, ep: Endpoint) -> str:
        """The success ``msg`` of ``ep``'s envelope."""
        return self.success_msg if self.success_msg is not None else ep.success_msg

    def all_errors(self, ep: Endpoint) -> tuple[str, ...]:
        """Every code ``ep`` can answer with, the product's auth (or rate-limit) codes first."""
        first = self.auth_errors if ep.auth else (self.limit_error,)
        return first + tuple(c for c in ep.errors if c not in first)

    def refusal(self, err: BitunixError) -> tuple[BitunixError, bytes]:
        """``err`` in this product's words, and its envelope."""
        own = self.translate(err)
        return own, self.error_body(own.code, own.msg)


# ------------------------------------------------------------------------------- spot


def _same(err: BitunixError) -> BitunixError:
    return err


# ---------------------------------------------------------------------------- futures

#: Each shared error as a futures one (spec §2.2's inferred check order). Confidence of each choice is in
#: mockserver/fidelity.py's futures rows; "L" marks the mock's own choice where the spec knows no code.
_FUTURES_FOR: dict[type[BitunixError], type[FuturesError]] = {
    ApiKeyNotFound: FApiKeyEmpty,  # missing key: 10003 (M); an unknown key too (L: no futures code known)
    NonceInvalid: FSignatureError,  # a missing nonce: 10007 (L: the futures table's one signed-header code)
    RequestExpired: FSignatureError,  # the timestamp window: 10007 (L: no futures refusal was ever recorded)
    SignatureError: FSignatureError,  # 10007 (M)
    NonceReused: FSignatureError,  # 10007 (L; the replay check is off by default on futures)
    IpNotAllowed: FIpNotAllowed,  # 10004 (M)
    NoAuthority: FApiKeyNoPermission,  # 403 (M: the newest table)
    TooFrequent: FTooFrequent,  # 10006 (L: 10005 and 10006 both mean it; never tested live)
    ParameterError: FParameterError,  # 10002 (M); a value outside its enumeration: 10008 (H)
    MissingParameter: FParameterError,  # 10002 (M)
    SystemError: FSystemError,  # 10001 (M)
    NotFound: FNotFound,  # code 404 with HTTP 200 (M: live)
    MethodNotAllowed: FNotFound,  # L: live's gateway answers an unknown path so; a path under another method alike
    BodyTooLarge: FParameterError,  # L: 10002 with HTTP 200, as every futures refusal
}


def futures_error(err: BitunixError) -> BitunixError:
    """A shared error as the futures API answers it; a futures error as it is.

    A value outside its enumeration takes the live 10008 text (``Parameter 20 does not match,
    alternative value ["1","5","15","50","max"].``). A spot-only error reaching a futures request is
    a mock bug: it answers the futures system error and names the error in the detail.
    """
    if isinstance(err, FuturesError):
        return err
    if isinstance(err, ParameterError) and err.value is not None and err.choices:
        return FValueNotAllowed.for_value(err.value, list(err.choices), err.detail)
    for cls in type(err).__mro__:
        own = _FUTURES_FOR.get(cls)
        if own is not None:
            return own(err.detail)
    return FSystemError(f"spot error {type(err).__name__} {err.code} on a futures request: {err.detail}")


#: The futures codes a signed endpoint may answer before its handler, in checking order (spec §2.2).
_FUTURES_AUTH_ERRORS = ("10003", "10007", "10004", "10006", "403")


# --------------------------------------------------------------------------- the table

#: One registry of handlers for every product's rows (operation names are unique across products):
#: importing fails unless rows and handlers pair up one to one.
_HANDLERS = bind(ep.operation for ep in (*ENDPOINTS, *FUTURES_ENDPOINTS))


def _bound(endpoints: tuple[Endpoint, ...]) -> dict[str, Handler]:
    return {ep.operation: _HANDLERS[ep.operation] for ep in endpoints}


SPOT = Product(
    name="spot",
    prefix=SPOT_PREFIX,
    title="spot",
    endpoints=ENDPOINTS,
    handlers=_bound(ENDPOINTS),
    success_body=success_body,
    error_body=error_body,
    translate=_same,
    errors=ERROR_TABLE,
    auth_errors=AUTH_ERRORS,
    limit_error=TooFrequent.code,
    example_ids=EXAMPLE_IDS,
)

FUTURES = Product(
    name="futures",
    prefix=FUTURES_PREFIX,
    title="USDT-M futures",
    endpoints=FUTURES_ENDPOINTS,
    handlers=_bound(FUTURES_ENDPOINTS),
    success_body=numeric_success_body,
    error_body=numeric_error_body,
    translate=futures_error,
    errors=FUTURES_ERROR_TABLE,
    auth_errors=_FUTURES_AUTH_ERRORS,
    limit_error=FTooFrequent.code,
    success_msg="Success",
    replay_switch="futures_nonce_replay",
    example_ids=FUTURES_EXAMPLE_IDS,
)

#: Every product the server serves; the first is the default for a path under no product's prefix.
PRODUCTS: tuple[Product, ...] = (SPOT, FUTURES)


def product_of_path(path: str, products: Iterable[Product] = PRODUCTS) -> Product:
    """The product whose prefix ``path`` lies under (spot's for any other path: today's 404)."""
    first: Product | None = None
    for product in products:
        if first is None:
            first = product
        if product.owns(path):
            return product
    assert first is not None, "no products"
    return first


def endpoint_at(path: str, products: Iterable[Product] = PRODUCTS) -> tuple[Product, Endpoint | None]:
    """The product serving ``path`` and its endpoint there (``None``: no endpoint, the product's 404)."""
    product = product_of_path(path, products)
    return product, product.by_path.get(path)


#: Every error code of every product's table: what an injected error fault may name without its own msg
#: (it answers in the envelope, and with the table's msg, of the product whose path it hits).
ERROR_CODES: frozenset[str] = frozenset(code for p in PRODUCTS for code in p.errors)

#: Every operation name of every product, sorted: what ``expect=``, journal filters and rate-limit overrides
#: may name (unique across products: futures names start ``futures.``).
OPERATIONS: tuple[str, ...] = tuple(sorted(ep.operation for p in PRODUCTS for ep in p.endpoints))


def check_operations(names: Iterable[str], where: str) -> None:
    """ValueError naming the first of ``names`` that is no endpoint's operation, and listing the valid ones.

    A misspelt name would otherwise filter to nothing or allow nothing, and a test built on it
    would pass or fail for the wrong reason.
    """
    for name in names:
        if name not in OPERATIONS:
            raise ValueError(f"{where}: unknown operation {name!r}; valid operations: {', '.join(OPERATIONS)}")
