"""The admin side (``/_mock``): steering, snapshots, durability, the scripted counterparty and the admin client.

Everything here changes the exchange through the engine's methods only.
"""

from .client import MockAdmin, MockAdminError
from .controller import AdminError, Controller

# MockAdminError beside MockAdmin: what a refused admin call raises, importable where the client is.
__all__ = ["AdminError", "Controller", "MockAdmin", "MockAdminError"]
