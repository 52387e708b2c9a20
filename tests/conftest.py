"""Shared fixtures for the core's tests."""

from __future__ import annotations

import pytest

from solverkit import registry as registry_module


@pytest.fixture
def registry():
    """A registry without entry points, installed as the process-wide one for the test."""
    previous = registry_module._registry
    fresh = registry_module.Registry(entry_points=False)
    registry_module.reset_registry(fresh)
    yield fresh
    registry_module._registry = previous
