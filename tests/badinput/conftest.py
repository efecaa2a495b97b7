import pytest

from indicators import services


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    """Test transactions roll the catalogue version back: one number, two catalogues."""
    services._catalogue_cache.clear()
    yield
    services._catalogue_cache.clear()
