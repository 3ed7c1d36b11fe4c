"""The weekly digest: `model` (what it holds), `build` (no Slack), `render` (Block Kit) and
`text` (terminal), `sweep` (who is due, exactly once), `outbox` (posting), `listeners` (buttons)."""

from handlers.digest import text  # noqa: F401 - registers the digest's text renderer with render_text
