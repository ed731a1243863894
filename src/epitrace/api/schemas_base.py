"""What every API schema module shares: the strict input base, id patterns and UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
MAX_ID = 2**31 - 1
"""Largest row id accepted: SQL INTEGER on PostgreSQL is 32-bit."""
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
USER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class In(BaseModel):
    """Base of request bodies: unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


def utc(ts: float) -> datetime:
    """An epoch time as an aware UTC datetime (the API keeps offsets; pages show local time)."""
    return datetime.fromtimestamp(ts, UTC)
