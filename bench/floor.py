"""The floors the bot is compared with: bare slack-bolt apps whose `/proud` only acknowledges.

They are served by the very HTTP server the bot uses (bot.server.make_http_server: uvicorn, the same
routing, thread count and limits), so the difference to the bot is what the bot does per request.

    python -m bench.floor --mode default   # App(...) with Bolt's defaults (process_before_response=False)
    python -m bench.floor --mode pbr       # the same with process_before_response=True: the ack-only floor

Settings come from the same environment variables as the bot's (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
SLACK_API_URL, PORT, HTTP_THREADS).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import create_engine

from bot.server import make_http_server

MODES = ("default", "pbr")


def build_floor(mode: str, *, token: str, signing_secret: str, api_url: str) -> App:
    # The client only points Bolt's one auth.test (at start) at the fake Slack; everything else is Bolt's default.
    client = WebClient(token=token, base_url=api_url)
    if mode == "default":
        app = App(client=client, signing_secret=signing_secret)
    else:
        app = App(client=client, signing_secret=signing_secret, process_before_response=True)

    @app.command("/proud")
    def proud(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=MODES, required=True)
    args = parser.parse_args()
    # Bolt would read SLACK_BOT_TOKEN itself and warn that the client's token wins: take it out of its sight
    token = os.environ.pop("SLACK_BOT_TOKEN")
    app = build_floor(
        args.mode,
        token=token,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    serve_until_stopped(app)


def serve_until_stopped(app: App) -> None:
    """Serve `app` as the bot is served (PORT, HTTP_THREADS) until SIGTERM or SIGINT."""
    # /healthz needs a database; an in-memory one answers like the bot's does
    engine = create_engine("sqlite://")
    server = make_http_server(
        app,
        engine,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        host="0.0.0.0",
        port=int(os.environ["PORT"]),
        threads=int(os.environ.get("HTTP_THREADS", "16")),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())

    def stop_when_told() -> None:
        stop.wait()
        server.stop()

    threading.Thread(target=stop_when_told, daemon=True).start()
    server.serve()


if __name__ == "__main__":
    main()
