"""The demo's feeds and items (data/items.yaml), read and checked. Unknown keys are errors."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

PACKAGE = "monitor.demo"  # the files live in its data/ folder
ITEMS_FILE = "items.yaml"
WATCHLISTS_FILE = "watchlists.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoFeed(_Model):
    slug: str = Field(pattern=r"^[a-z0-9-]+$")  # served at /feeds/<slug>.xml
    name: str  # the feed's name in the demo config, shown in alerts
    format: Literal["rss", "atom"]
    title: str
    link: str


class DemoItem(_Model):
    feed: str  # a DemoFeed slug
    guid: str
    offset: int = Field(ge=0)  # seconds after the servers start when the item appears
    title: str
    summary: str
    content: str | None = None
    link: str
    author: str | None = None
    story: str | None = None  # copies of one article share this tag
    matches: tuple[str, ...] = ()  # the demo watchlists it must match

    @property
    def group(self) -> str:
        """The article this item carries: its story tag, else the item itself."""
        return self.story or f"{self.feed}/{self.guid}"


class DemoData(_Model):
    feeds: tuple[DemoFeed, ...]
    items: tuple[DemoItem, ...]

    @model_validator(mode="after")
    def _consistent(self) -> DemoData:
        slugs = [f.slug for f in self.feeds]
        if len(set(slugs)) != len(slugs):
            raise ValueError("feed slugs must be unique")
        ids = [(i.feed, i.guid) for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item guids must be unique within a feed")
        for item in self.items:
            if item.feed not in slugs:
                raise ValueError(f"item {item.guid!r} names unknown feed {item.feed!r}")
        return self

    def items_of(self, slug: str) -> list[DemoItem]:
        return [i for i in self.items if i.feed == slug]

    @property
    def last_offset(self) -> int:
        return max((i.offset for i in self.items), default=0)


def read_data_file(name: str) -> str:
    return (resources.files(PACKAGE) / "data" / name).read_text(encoding="utf-8")


def load_demo_data(text: str | None = None) -> DemoData:
    """The bundled demo feeds and items (or those in `text`, YAML)."""
    raw = yaml.safe_load(read_data_file(ITEMS_FILE) if text is None else text)
    return DemoData.model_validate(raw)
