"""The pytest plugin entry point (``pytest11``: ``mimo = pytest_mimo.plugin``)."""

from __future__ import annotations
