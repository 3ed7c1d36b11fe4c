"""HTTP mode serves Slack at POST /slack/events and a health check at GET /healthz."""

import httpx


def test_healthz(served_app):
    response = httpx.get(f"{served_app}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_unknown_path_is_404(served_app):
    assert httpx.get(f"{served_app}/nowhere").status_code == 404


def test_slack_events_refuses_unsigned_posts(served_app):
    assert httpx.post(f"{served_app}/slack/events", content=b"{}").status_code == 401
