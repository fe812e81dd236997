"""Where catalog images are served (no Django imports: the test harness uses it too)."""


def image_url(sha256: str) -> str:
    """Relative to the API base, as the contract allows."""
    return f"v1/images/{sha256}"
