"""settings: the daemon config file (YAML) read, validated and located."""

from monitor.settings.load import load_settings
from monitor.settings.models import DestinationConfig, FeedConfig, ServerConfig, Settings, parse_duration

__all__ = ["DestinationConfig", "FeedConfig", "ServerConfig", "Settings", "load_settings", "parse_duration"]
