"""Local stand-ins for Slack, used only by tests: they listen on 127.0.0.1."""
