"""Fixtures of the durability tests (see ``durability_helpers``)."""

from durability_helpers import served

__all__ = ["served"]
