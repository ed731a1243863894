"""ORM tables of people and accountability.

Users, case assignments, login sessions, unmask grants, the audit log and purge statistics
live in the store (not in `privacy`) so that the schema, the Alembic environment and every SQL
statement have one owner, and the store imports nothing above it. The rules about these rows
(password hashing, access checks, hash chaining, retention) stay in `epitrace.privacy`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.store.orm import Base, utcnow


class User(Base):
    """A person who may log in; `password_hash` is an argon2id PHC string, never the password."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(
        "role IN ('admin', 'investigator', 'auditor', 'supervisor', 'operator')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseAssignment(Base):
    """An investigator may open this case."""

    __tablename__ = "case_assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)


class LoginSession(Base):
    """One live login: the token's hash, whose it is and when it stops working."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_ts: Mapped[float] = mapped_column(Float)
    expires_ts: Mapped[float] = mapped_column(Float)


class UnmaskGrant(Base):
    """User `user_id` may see track `track_id` of case `case_id` without mosaic, and why."""

    __tablename__ = "unmask_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    ts: Mapped[float] = mapped_column(Float)
    user_name: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """One line of the audit log. Never updated or deleted through the ORM."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_case_id", "case_id"),
        Index("ix_audit_log_user", "user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[float] = mapped_column(Float)  # UTC epoch seconds
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    # Not a foreign key: the log must outlive purged cases.
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    legal_basis: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON text
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    keyed: Mapped[bool] = mapped_column(Boolean, default=False)  # HMAC (True) or legacy sha256

    def detail_dict(self) -> dict[str, Any]:
        """`detail` parsed from its JSON text."""
        return dict(json.loads(self.detail))


class LoginThrottle(Base):
    """Failed logins of one user name (`user:NAME`) or client address (`addr:IP`).

    `failures` counts consecutive failures (back-off, lockout); the window counts attempts
    refused since `window_start_ts`, of which `window_reported` are in the audit log already.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_ts: Mapped[float] = mapped_column(Float, default=0.0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    window_start_ts: Mapped[float] = mapped_column(Float, default=0.0)
    window_count: Mapped[int] = mapped_column(Integer, default=0)
    window_reported: Mapped[int] = mapped_column(Integer, default=0)
    last_address: Mapped[str] = mapped_column(String(100), default="")


def _refuse_change(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise PermissionError(f"audit entry {target.id} is append-only: it cannot be changed or deleted")


event.listen(AuditEntry, "before_update", _refuse_change)
event.listen(AuditEntry, "before_delete", _refuse_change)


class PurgeStat(Base):
    """An anonymous count of what a purge removed: all that is left of purged data."""

    __tablename__ = "purge_stats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # "tracks", "videos" or "cases"
    count: Mapped[int] = mapped_column(Integer)
    camera_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
