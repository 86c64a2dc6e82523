"""`wiremon demo` end to end, cut short: servers, temporary config, the real daemon, intro and summary."""

from __future__ import annotations

import re
from io import StringIO

from monitor.demo.run import run_demo


async def test_a_short_demo_run_introduces_itself_and_summarises() -> None:
    out = StringIO()
    assert await run_demo(out, duration=0.5) == 0
    text = out.getvalue()
    assert re.search(r"serving 4 demo feeds on http://127\.0\.0\.1:\d+/feeds/", text)
    assert "alerts will appear below" in text
    assert re.search(r"demo finished after \d+ s", text)
    for line in ("feeds polled:", "stories seen:", "alerts delivered:", "copies collapsed:"):
        assert line in text
