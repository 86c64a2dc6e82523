"""demo: the whole pipeline offline — local wire feeds that release stories over time, a local webhook
sink, and a runner that points the real daemon at both (`wiremon demo`).

    data/items.yaml       the demo feeds and their items (written for the demo)
    data/watchlists.yaml  the watchlists the demo runs with
    items.py              those files read and checked
    feeds.py              items → RSS 2.0 / Atom bytes (pure)
    server.py             the feed server and the webhook sink (aiohttp)
    run.py                `wiremon demo`
"""
