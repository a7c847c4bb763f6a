"""A stand-in for NCALayer (development, the demo and the tests): see server.py and interface 3."""

from .server import StandIn

__all__ = ["StandIn"]
