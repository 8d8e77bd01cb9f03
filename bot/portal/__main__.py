"""`python -m bot.portal`: serve the chat widget page (started by `partnerbot serve` on port 8080)."""
from __future__ import annotations

import argparse
import os
import signal
import sys

from bot.portal.server import DEFAULT_TOKEN_TTL, PortalConfig, make_server


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.portal", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("PARTNERBOT_WIDGET_HOST", "127.0.0.1"),
                        help="interface to listen on (default 127.0.0.1; 0.0.0.0 exposes the demo sign-in)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARTNERBOT_WIDGET_PORT", 8080)))
    parser.add_argument("--rasa-url", default=os.environ.get("PARTNERBOT_RASA_URL", "http://localhost:5005"),
                        help="the Rasa server whose REST channel the page talks to")
    parser.add_argument("--token-ttl", type=int, default=DEFAULT_TOKEN_TTL,
                        help="lifetime in seconds of a demo sign-in token (default %(default)s)")
    parser.add_argument("--no-demo-sign-in", dest="demo_sign_in", action="store_false",
                        help="turn the demo sign-in off (the page is then anonymous only)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser.parse_args(argv)


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    # `partnerbot serve` stops its children with SIGINT; a shell may have started us with SIGINT
    # ignored (a background job), so both SIGINT and SIGTERM are made to stop the server.
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    config = PortalConfig(rasa_url=args.rasa_url, token_ttl=args.token_ttl,
                          demo_sign_in=args.demo_sign_in, log_requests=not args.quiet)
    try:
        server = make_server(args.host, args.port, config)
    except OSError as exc:
        print(f"partnerbot portal: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"partnerbot portal: widget page on http://{host}:{port}/ (Rasa at {config.rasa_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
