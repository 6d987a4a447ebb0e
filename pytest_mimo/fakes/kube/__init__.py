"""Fake Kubernetes API server: ``FakeKube`` (see ``harness.md``, "Fake Kubernetes")."""

from __future__ import annotations

from .models import BUILTIN_KINDS, ApiError, KindInfo, KubeModel, WriteEvent
from .server import FakeKube

__all__ = ["FakeKube", "KindInfo", "KubeModel", "WriteEvent", "ApiError", "BUILTIN_KINDS"]
