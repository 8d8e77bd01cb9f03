"""partnerbot's ways in: the Rasa domain and NLU components, channels, the CLI and the email triage."""
