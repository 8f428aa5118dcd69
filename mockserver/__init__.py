"""The offline twin of the Bitunix spot and USDT-M futures REST APIs.

``create_app(Config())`` builds one independent mock exchange as a Starlette app;
``python -m mockserver`` serves it.
"""

from .api.auth import PROFILES, VerificationProfile, canonical_query, sign
from .api.endpoints import ENDPOINTS, Endpoint
from .api.products import OPERATIONS, PRODUCTS, Product, check_operations
from .app import create_app
from .clock import Clock
from .config import ADMIN_PREFIX, DEMO_API_KEY, DEMO_SECRET, Config
from .errors import ERROR_TABLE, BitunixError, PlaceRefusal
from .state import MockState
from .version import __version__

__all__ = [
    "ADMIN_PREFIX",
    "DEMO_API_KEY",
    "DEMO_SECRET",
    "ENDPOINTS",
    "ERROR_TABLE",
    "OPERATIONS",
    "PRODUCTS",
    "PROFILES",
    "BitunixError",
    "Clock",
    "Config",
    "Endpoint",
    "MockState",
    "PlaceRefusal",
    "Product",
    "VerificationProfile",
    "__version__",
    "canonical_query",
    "check_operations",
    "create_app",
    "sign",
]
