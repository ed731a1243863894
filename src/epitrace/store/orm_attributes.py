"""ORM class of a track's describable attributes (named clothing colours, height).

Kept apart from `orm.py` so that describing people stays one optional table: a track without a
row was stored before attributes existed, or by a pipeline that did not measure them.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.store.orm import Base
from epitrace.store.records import AttributesRecord


class TrackAttributes(Base):
    """Upper/lower colour names (with the share of pixels that voted for them) and height."""

    __tablename__ = "track_attributes"
    __table_args__ = (Index("ix_track_attributes_colours", "upper", "lower"),)

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    upper: Mapped[str | None] = mapped_column(String(16), nullable=True)
    upper_share: Mapped[float] = mapped_column(Float, default=0.0)
    lower: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lower_share: Mapped[float] = mapped_column(Float, default=0.0)
    height_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    height_spread_m: Mapped[float | None] = mapped_column(Float, nullable=True)


def attribute_row(track_id: int, rec: AttributesRecord) -> TrackAttributes:
    """The ORM row of `rec` for a track (added by the caller's session)."""
    return TrackAttributes(track_id=track_id, upper=rec.upper, upper_share=rec.upper_share, lower=rec.lower,
                           lower_share=rec.lower_share, height_m=rec.height_m, height_spread_m=rec.height_spread_m)
