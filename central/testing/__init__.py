"""Test and demo only: fault injection, request recording and the administration routes the
tests drive the service with. Listed in central.settings.test/demo, never in production."""
