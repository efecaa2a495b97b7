"""Demo records for `seed_demo`."""


def seed() -> list[str]:
    """Create this app's demo records (idempotent); return lines to print."""
    return []
