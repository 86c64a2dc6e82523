"""run: `wiremon demo` — the real daemon against the local demo wire, alerts on the console and at a local
webhook sink, then a short summary of what happened.

Everything lives in a temporary folder (config, watchlists, store) that is removed at the end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from monitor.clock import Clock, SystemClock
from monitor.daemon import Daemon
from monitor.deliver.signing import SignatureError, verify
from monitor.demo.items import WATCHLISTS_FILE, DemoData, load_demo_data, read_data_file
from monitor.demo.server import DemoServers, ReceivedPost, start_demo_servers
from monitor.settings import load_settings

POLL_INTERVAL = 5.0  # seconds between polls of each demo feed
TICK = 1.0  # seconds between the scheduler's looks for due feeds
GRACE = 3.0  # seconds kept after the last item could have been delivered, so a late copy still shows
SINK = "demo-sink"


def new_secret() -> str:
    """A fresh Standard Webhooks secret: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def write_config(folder: Path, servers: DemoServers, secret: str) -> Path:
    """wiremon.yaml and watchlists.yaml for the demo, in `folder`; returns the config's path."""
    config = {
        "feeds": [{"url": url, "name": name, "interval": f"{POLL_INTERVAL:g}s"} for name, url in servers.feeds],
        "destinations": [
            {"name": "console", "type": "console"},
            {"name": SINK, "type": "webhook", "url": servers.hook_url, "secret": secret},
        ],
        "watchlists": "watchlists.yaml",
        "store": "demo.db",
        "tick": f"{TICK:g}s",
        "server": {"listen": "127.0.0.1:0"},  # any free port: the demo must not collide with a running daemon
    }
    (folder / "watchlists.yaml").write_text(read_data_file(WATCHLISTS_FILE), encoding="utf-8")
    path = folder / "wiremon.yaml"
    header = "# Written by `wiremon demo` for one run; removed when it ends.\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Progress:
    """Follows the webhook sink: signatures, and which of the expected alerts have arrived."""

    data: DemoData
    secret: str
    clock: Clock
    verified: int = 0
    unverified: int = 0
    alerts_by_group: dict[str, set[str]] = field(default_factory=dict)  # article → webhook ids received
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expected(self) -> set[str]:
        """Articles that must alert: they match a watchlist and appear after the first poll."""
        return {i.group for i in self.data.items if i.matches and i.offset > 0}

    def on_post(self, post: ReceivedPost) -> None:
        try:
            msg_id = verify(self.secret, post.headers, post.body, self.clock.now())
        except SignatureError:
            self.unverified += 1
            return
        self.verified += 1
        story_id = _json_field(post.payload, "story", "id")
        group = next((i.group for i in self.data.items if i.guid == story_id), None)
        if group is not None:
            self.alerts_by_group.setdefault(group, set()).add(msg_id)
        if self.expected <= self.alerts_by_group.keys():
            self.complete.set()


async def run_demo(out: TextIO, duration: float = 90.0) -> int:
    """Serve the demo wire, run the daemon on it for up to `duration` seconds, print a summary; returns 0."""
    clock = SystemClock()
    secret = new_secret()
    progress = Progress(load_demo_data(), secret, clock)
    servers = await start_demo_servers(clock, data=progress.data, on_post=progress.on_post)
    try:
        with tempfile.TemporaryDirectory(prefix="wiremon-demo-") as folder:
            settings = load_settings(write_config(Path(folder), servers, secret))
            daemon = Daemon(settings, clock=clock, console=out)
            _intro(out, servers, [w.name for w in daemon.matcher.watchlists])
            stop = asyncio.Event()
            async with daemon:
                if daemon.server:
                    out.write(f"  status page (feeds, alerts, metrics): {daemon.server.url}/\n\n")
                    out.flush()
                stopper = asyncio.create_task(_stop_when_done(stop, progress, servers, duration, clock))
                try:
                    with _stop_on_signals(stop):
                        await daemon.run(stop)
                finally:  # stopped early (Ctrl-C) or failed: the timer has nothing left to do
                    stopper.cancel()
                    await asyncio.wait([stopper])
                _summary(out, servers, daemon, progress, clock)
    finally:
        await servers.close()
    return 0


async def _stop_when_done(stop: asyncio.Event, progress: Progress, servers: DemoServers, duration: float,
                          clock: Clock) -> None:  # fmt: skip
    """Set `stop` after `duration`, or once every expected alert arrived and the last item had its chance."""
    try:
        async with asyncio.timeout(duration):
            await progress.complete.wait()
            settle = servers.data.last_offset + POLL_INTERVAL + TICK + GRACE
            await asyncio.sleep(settle - (clock.now() - servers.started).total_seconds())
    except TimeoutError:
        pass
    finally:
        stop.set()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C ends the demo early but still prints the summary (main thread only; elsewhere a no-op)."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _intro(out: TextIO, servers: DemoServers, watchlists: list[str]) -> None:
    data = servers.data
    names = ", ".join(name for name, _ in servers.feeds)
    waiting = sum(1 for i in data.items if i.offset == 0)
    lines = [
        "wiremon demo: the real daemon, offline, against a local news wire.",
        f"  serving {len(servers.feeds)} demo feeds on {servers.feeds_base}/feeds/ ({names}),",
        f"  each polled every {POLL_INTERVAL:g} s; {waiting} stories are already there and are recorded "
        "on the first poll without alerting.",
        f"  watchlists: {', '.join(watchlists)}",
        f"  alerts go to this console and, signed, to a webhook sink on {servers.hook_url}",
        f"  {len(data.items) - waiting} more stories are released over ~{data.last_offset} s; "
        "alerts will appear below as they come in (Ctrl-C stops early).",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _summary(out: TextIO, servers: DemoServers, daemon: Daemon, progress: Progress, clock: Clock) -> None:
    elapsed = (clock.now() - servers.started).total_seconds()
    states = daemon.states.values()
    polled = sum(1 for s in states if s.last_success is not None)
    seen = sum(s.items_seen for s in states)
    delivered = len({p.headers.get("webhook-id") for p in servers.received})
    copies, collapsed = _copies(servers.data, progress, elapsed)
    signatures = f"{progress.verified} signature(s) verified" + (
        f", {progress.unverified} FAILED" if progress.unverified else ""
    )
    lines = [
        "",
        f"demo finished after {elapsed:.0f} s",
        f"  feeds polled:      {polled} of {len(servers.feeds)}",
        f"  stories seen:      {seen}",
        f"  alerts delivered:  {delivered} to the webhook sink ({signatures}); the console got the same",
        f"  copies collapsed:  {collapsed} of {copies} (the same article in another feed joins the first alert)",
    ]
    if missing := sorted(progress.expected - progress.alerts_by_group.keys()):
        lines.append(f"  not yet alerted:   {', '.join(missing)}")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _copies(data: DemoData, progress: Progress, elapsed: float) -> tuple[int, int]:
    """(copies released, copies that did not alert again) over the articles carried more than once."""
    groups: dict[str, int] = {}
    for item in data.items:
        if item.story and item.matches and 0 < item.offset <= elapsed:
            groups[item.story] = groups.get(item.story, 0) + 1
    copies = sum(n - 1 for n in groups.values())
    again = sum(max(len(progress.alerts_by_group.get(g, ())) - 1, 0) for g in groups)
    return copies, copies - again


def _json_field(payload: Any, *path: str) -> Any:
    """payload[path[0]][path[1]]…, or None where the JSON has another shape."""
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload
