"""The admin side (``/_mock``): steering, snapshots, durability, the scripted counterparty and the admin client.

Everything here changes the exchange through the engine's methods only.
"""

from .client import MockAdmin
from .controller import AdminError, Controller

__all__ = ["AdminError", "Controller", "MockAdmin"]
