from __future__ import annotations

import pytest

from matching.selectors import directory_cache


@pytest.fixture(autouse=True)
def fresh_directory_cache():
    """Each test's homes are rolled back afterwards: never let a search see old ones."""
    directory_cache.reset()
    yield
    directory_cache.reset()
