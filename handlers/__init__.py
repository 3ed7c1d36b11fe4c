"""learnbot's handlers, in rooms that depend one way:

- `core/`: Slack-free: parse (`grammar`), act (`actions`), reply (`replies`, `render_text`), the one
  error path (`errors`), the connections service (`connections`) and the container (`deps`);
- `digest/`: the weekly digest (building it is Slack-free; `render`, `sweep`, `outbox`, `listeners` are not);
- `slack/`: the Slack surface, listeners registered by `handlers.slack.register_all`;
- `terminal`: `learnbot chat`, the same core in a terminal.
"""
