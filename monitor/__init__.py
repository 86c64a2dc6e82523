"""wiremon: a wire-feed monitor that alerts once per story per destination."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/wiremon/wiremon"
USER_AGENT = f"wiremon/{__version__} (+{PROJECT_URL})"
