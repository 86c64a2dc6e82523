"""The `wiremon` command: run, check, demo, replay. Errors a user can act on print without a traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from monitor import __version__, logs
from monitor.config import load_all
from monitor.errors import ConfigError, WiremonError
from monitor.match import Matcher, load_watchlists
from monitor.settings import Settings, load_settings

DEFAULT_CONFIG = Path("config/wiremon.yaml")


def _report(exc: WiremonError, err: TextIO) -> int:
    if isinstance(exc, ConfigError):
        print(f"wiremon: {len(exc.problems)} problem(s) in the configuration:", file=err)
        for problem in exc.problems:
            print(f"  {problem}".replace("\n", "\n  "), file=err)
        return 2
    print(f"wiremon: {exc}", file=err)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    settings, matcher = load_all(args.config)
    print(
        f"{args.config}: OK — {len(settings.feeds)} feeds, {len(matcher.watchlists)} watchlists, "
        f"{len(settings.effective_destinations())} destinations, store {settings.store_location}"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings, matcher = load_all(args.config)
    level = args.log_level or os.environ.get("WIREMON_LOG_LEVEL") or settings.log_level
    logs.configure(level, json_logs=args.json_logs)
    return asyncio.run(_run(settings, matcher, args.config))


async def _run(settings: Settings, matcher: Matcher, config: Path) -> int:
    from monitor.daemon import Daemon

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[bool]] = set()

    def on_stop(signum: int) -> None:
        if stop.is_set():  # a second signal: leave now; every committed poll and alert is already on disk
            os._exit(128 + signum)
        stop.set()

    async with Daemon(settings, matcher=matcher, config_path=config) as daemon:

        def on_hangup() -> None:
            task = asyncio.create_task(daemon.reload("SIGHUP"))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_stop, signum)
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
        await daemon.run(stop)
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    """Each configured feed's health, read from the store (works while the daemon runs)."""
    from monitor.health import feed_rows, render_feeds, retry_feed

    settings = load_settings(args.config)
    if args.retry:
        found = asyncio.run(retry_feed(settings, args.retry))
        if not found:
            print(f"wiremon: no feed {args.retry!r} in {args.config}", file=sys.stderr)
            return 1
        print(f"{args.retry}: due now; a running daemon polls it on its next tick")
        return 0
    now = datetime.now(UTC)
    rows = asyncio.run(feed_rows(settings, now))
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        print(render_feeds(rows, now))
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    """List the outbox, or retry / drop alerts in it."""
    from monitor import alerts_admin

    settings = load_settings(args.config)
    now = datetime.now(UTC)
    if args.retry or args.retry_dead:
        count = asyncio.run(alerts_admin.retry_alerts(settings, None if args.retry_dead else args.retry, now))
        print(f"{count} alert(s) queued to be sent again (a running daemon sends them within half a minute)")
        return 0 if count else 1
    if args.enable or args.disabled:
        return alerts_admin.destinations_command(settings, args.enable)
    if args.drop:
        count = asyncio.run(alerts_admin.drop_alerts(settings, args.drop))
        print(f"{count} alert(s) dropped: kept in the store, never sent")
        return 0 if count else 1
    statuses = alerts_admin.STATUSES if args.status == "all" else (args.status,)
    print(alerts_admin.render_alerts(asyncio.run(alerts_admin.list_alerts(settings, statuses, args.limit))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """The running daemon's health, as its status server reports it; exit 1 when it is not ready."""
    from monitor.health import daemon_status

    text, ready = asyncio.run(daemon_status(load_settings(args.config), datetime.now(UTC)))
    print(text)
    return 0 if ready else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.demo.run import run_demo

    logs.configure(args.log_level or "WARNING")
    return asyncio.run(run_demo(sys.stdout, duration=args.duration))


def cmd_replay(args: argparse.Namespace) -> int:
    from monitor.replay import replay

    if args.since is not None:
        from monitor.explain_cli import run_replay_since

        return run_replay_since(args)
    if args.output is not None:
        raise WiremonError("--output goes with --since; replay --input writes its lines to stdout")
    matcher = load_watchlists(args.watchlists or load_settings(args.config).watchlists_path)
    now = datetime.now(UTC)
    if str(args.input) == "-":
        replay(matcher, sys.stdin, sys.stdout, now)
    else:
        with open(args.input, encoding="utf-8") as lines:
            replay(matcher, lines, sys.stdout, now)
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    from monitor.explain_cli import run_match

    return run_match(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wiremon", description="Watch news wires; alert once per story.")
    parser.add_argument("--version", action="version", version=f"wiremon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    run.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="overrides the config")
    run.add_argument("--json-logs", action="store_true", help="one JSON object per log line")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="validate config and watchlists; non-zero exit on any error")
    check.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    check.set_defaults(func=cmd_check)

    feeds = sub.add_parser("feeds", help="each feed's health: last success, last error, next poll, items seen")
    feeds.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    feeds.add_argument("--json", action="store_true", help="JSON instead of a table")
    feeds.add_argument("--retry", metavar="URL", help="poll this feed on the next tick (also one marked gone)")
    feeds.set_defaults(func=cmd_feeds)

    alerts = sub.add_parser("alerts", help="the outbox: pending, failing, dead alerts; retry or drop them")
    alerts.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    alerts.add_argument("--status", default="failed", choices=["pending", "failed", "dead", "delivered", "dropped",
                        "all"], help="which alerts to list (default: %(default)s: pending after a failed attempt)")
    alerts.add_argument("--limit", type=int, default=50, help="at most this many, newest first (default: 50)")
    alerts.add_argument("--retry", nargs="+", metavar="ID", help="send these alerts again now (also dead ones)")
    alerts.add_argument("--retry-dead", action="store_true", help="send every dead-lettered alert again")
    alerts.add_argument("--drop", nargs="+", metavar="ID", help="never send these alerts")
    alerts.add_argument("--disabled", action="store_true", help="list the destinations disabled by their answers")
    alerts.add_argument("--enable", metavar="NAME", help="send to this disabled destination again")
    alerts.set_defaults(func=cmd_alerts)

    status = sub.add_parser("status", help="the running daemon's health: readiness, feeds, recent alerts")
    status.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    status.set_defaults(func=cmd_status)

    demo = sub.add_parser("demo", help="the whole pipeline offline, against local demo feeds")
    demo.add_argument("--duration", type=float, default=90.0, help="seconds to run (default: %(default)s)")
    demo.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    demo.set_defaults(func=cmd_demo)

    replay = sub.add_parser("replay", help="match stories from a JSONL file, or the store's recent stories")
    replay.add_argument("--watchlists", type=Path, help="watchlist file or folder (default: the config's)")
    stories = replay.add_mutually_exclusive_group(required=True)
    stories.add_argument("--input", type=Path, help="stories, one JSON object a line ('-': stdin)")
    stories.add_argument("--since", metavar="WHEN", help="backtest: the stored stories since 7d, 12h, 30m or a date")
    replay.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    replay.add_argument("--output", type=Path, help="with --since: also write one JSON line per story here")
    replay.set_defaults(func=cmd_replay)

    match = sub.add_parser("match", help="explain which watchlists a story matches, and why others do not")
    match.add_argument("input", metavar="FILE|URL|-", help="a JSON story or JSONL, a feed file, a feed URL, or -")
    match.add_argument("--watchlists", type=Path, help="watchlist file or folder (default: the config's)")
    match.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    match.add_argument("--all", action="store_true", help="also list watchlists none of whose terms is present")
    match.add_argument("--json", action="store_true", help="one JSON object per story")
    match.add_argument("--no-color", action="store_true", help="mark matches [[like this]] even on a terminal")
    match.set_defaults(func=cmd_match)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except WiremonError as exc:
        return _report(exc, sys.stderr)
    except KeyboardInterrupt:
        return 130
