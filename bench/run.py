"""Run every benchmark in bench/ and print one table.

    python -m bench.run            # full sizes
    python -m bench.run --quick    # smaller sizes, for a smoke run
    python -m bench.run match      # only bench_match.py

Each bench/bench_<name>.py exposes `bench(quick: bool) -> list[dict]` with rows of
benchmark, case, value, unit, note, and is found by its file name. Figures are from this machine, in this run.

The daemon-level ones (issues #5, #6) start bench/wire_server.py as a separate process:
    poll      10,000 feeds every 5 min through the real Daemon on a FakeClock: CPU, loop lag, RSS (~2.5 min)
    latency   story appears → webhook arrives, the real Daemon.run loop on real time (~2.5 min)
    outbox    alerts/s through the outbox, a Slack burst at its rate limit, detected → delivered (~1 min)
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[str]:
    found = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    return [n for n in found if not names or n in names]


def table(rows: list[dict[str, object]]) -> str:
    columns = ["benchmark", "case", "value", "unit", "note"]
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.rjust(w) if i == 2 else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
            for r in cells]  # fmt: skip
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    failed = 0
    print(f"# wiremon benchmarks on {platform.node()} — Python {platform.python_version()}, "
          f"{platform.machine()}, quick={args.quick}", flush=True)  # fmt: skip
    for name in discover(args.names):
        started = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            rows.extend(module.bench(args.quick))
        except Exception:
            failed += 1
            traceback.print_exc()
            rows.append({"benchmark": name, "case": "FAILED", "value": "", "unit": "", "note": "see stderr"})
        print(f"  {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
