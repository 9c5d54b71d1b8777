"""A document's frame: title, kind, issuer, metadata, sections and signature.

``base.html.j2`` renders it as ``doc``. An ``official`` document carries the national header and the
issuing body as Decree 30/2020/ND-CP lays them out; an ``internal`` one (working reports, drill
notes) has a plain title block.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Issuer(_Model):
    """The issuing body (top left): ``name`` in bold under its ``parent``, e.g. the city committee."""

    name: str = Field(min_length=1)
    parent: str | None = None


class Signer(_Model):
    """Who signs (bottom right): ``authority`` such as ``KT. GIÁM ĐỐC``, ``title`` and ``name``."""

    title: str = Field(min_length=1)
    name: str = Field(min_length=1)
    authority: str | None = None


class Section(_Model):
    """A numbered heading with plain-text paragraphs (escaped when rendered)."""

    heading: str
    paragraphs: list[str] = []


class Document(_Model):
    title: str = Field(min_length=1)
    kind: Literal["official", "internal"] = "internal"
    lang: Literal["vi", "en"] = "vi"
    issued: date
    place: str = "Hải Phòng"
    issuer: Issuer | None = None
    #: Document number and symbol, e.g. ``15/BC-SKHCN`` (printed after "Số:").
    number: str | None = None
    #: The one-line summary under the title (trích yếu).
    subject: str | None = None
    #: Shown under the title as "key: value" lines and written as ``<meta>`` tags.
    metadata: dict[str, str] = {}
    sections: list[Section] = []
    signer: Signer | None = None
    recipients: list[str] = []

    @model_validator(mode="after")
    def _official_needs_issuer(self) -> Document:
        if self.kind == "official" and self.issuer is None:
            raise ValueError("an official document needs an issuer (the issuing body)")
        return self
