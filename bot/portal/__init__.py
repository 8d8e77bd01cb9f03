"""The partner portal's chat widget page: a small page server (server.py) and the widget (static/).

`python -m bot.portal --port 8080 --rasa-url http://localhost:5005` serves the page, a demo
sign-in that issues a partner's JWT, and a proxy to the Rasa REST channel (contract §4).
"""
