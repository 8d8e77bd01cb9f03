"""Input channels: the REST channel of contract §4 with per-message JWT verification (and, later, the portal widget and Slack)."""
