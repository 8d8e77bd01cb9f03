"""Input channels: `rest` (contract §4, per-message JWT; the portal widget talks to it through
bot/portal) and `slack` (Events API, signed requests, replies in the thread; docs/slack.md).
`availability` tells the person, in their language, when a server behind the channel is down."""
