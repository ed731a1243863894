"""Login throttling: back-off per user name and per client address, lockout, aggregated audit.

Without it anyone could try passwords as fast as argon2 allows and, since every failure was an
audit row, flood the log (issue 12 F9). Now:

- After `free_failures` consecutive failures of a user name or an address (the API passes the
  client's address, the CLI "local"), each further attempt must wait `base_delay_s * 2**k`
  (capped at `max_delay_s`) after the last failure; an attempt made sooner is refused unchecked.
- After `lockout_failures` consecutive failures the account (the name: unknown names lock too,
  so the lock tells nothing about which names exist) is locked until an administrator runs
  `epitrace users enable NAME`; the right password is refused meanwhile.
- Failed and refused attempts are written to the audit log aggregated: one `login_failed` entry
  when a user's window of `window_s` seconds opens, and one summary with the count of the rest
  when the window rolls over, the account locks, a login succeeds or the account is enabled.
  200 attempts therefore add a handful of rows, not 200.
- Failures are forgotten after a quiet period (`user_forget_s`, `address_forget_s`).

Counters are committed in their own transaction: they must outlive the refusal they record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from epitrace.privacy import audit
from epitrace.store import throttle_repo
from epitrace.store.orm_access import LoginThrottle
from epitrace.store.repo import Store, Unit

USER_KEY = "user:"
ADDRESS_KEY = "addr:"
LOCAL_ADDRESS = "local"
"""The address of logins from the command line."""

__all__ = ["LOCAL_ADDRESS", "ThrottlePolicy", "failed", "gate", "succeeded", "unlock"]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How hard failed logins are throttled.

    Attributes:
        lockout_failures: Consecutive failures that lock an account (setting
            `login_lockout_failures`). Lower stops guessing sooner but lets anyone lock a
            colleague out with fewer tries.
        free_failures: Failures allowed before the back-off starts.
        base_delay_s: First back-off; it doubles with each further failure.
        max_delay_s: Longest back-off.
        window_s: Audit aggregation window per user name.
        user_forget_s: Quiet time after which a name's (unlocked) failures are forgotten.
        address_forget_s: Quiet time after which an address's failures are forgotten.
    """

    lockout_failures: int = 10
    free_failures: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    window_s: float = 900.0
    user_forget_s: float = 86400.0
    address_forget_s: float = 3600.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the last of `failures` consecutive failures."""
        if failures < self.free_failures:
            return 0.0
        return min(self.base_delay_s * 2.0 ** (failures - self.free_failures), self.max_delay_s)


def _forget(row: LoginThrottle, now: float, quiet_s: float) -> None:
    if not row.locked and row.failures and now - row.last_failure_ts > quiet_s:
        row.failures = 0


def _wait(row: LoginThrottle, now: float, policy: ThrottlePolicy) -> float:
    return row.last_failure_ts + policy.delay(row.failures) - now if row.failures else 0.0


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _who(name: str) -> str:
    """A login name as the audit log records it (at most 64 characters): anyone may send one.

    Non-printable characters (newlines, bidi overrides, zero-width) are written as escapes, so the
    entry still says what was sent but cannot break, reorder or hide the auditor's lines.
    """
    shown = "".join(c if c.isprintable() else _ESCAPES.get(c, f"\\u{ord(c):04x}") for c in name)
    return shown[:64] or "?"


def _flush(store: Store, s: Unit, row: LoginThrottle, name: str, policy: ThrottlePolicy) -> None:
    """Write the attempts of the current window not yet in the audit log as one entry."""
    n = row.window_count - row.window_reported
    if n > 0:
        audit.record(store, user=_who(name), action="login_failed", session=s,
                     detail={"count": n, "window_start": row.window_start_ts, "window_s": policy.window_s,
                             "address": row.last_address, "aggregated": True})
        row.window_reported = row.window_count


def _count(store: Store, s: Unit, row: LoginThrottle, *, name: str, address: str, now: float,
           reason: str, policy: ThrottlePolicy) -> None:
    """Count one failed or refused attempt; audit it only if it opens a window."""
    if row.window_count and now - row.window_start_ts >= policy.window_s:
        _flush(store, s, row, name, policy)
        row.window_count = row.window_reported = 0
    if row.window_count == 0:
        row.window_start_ts = now
    row.window_count += 1
    row.last_address = address[:100]
    if row.window_reported == 0:
        audit.record(store, user=_who(name), action="login_failed", session=s,
                     detail={"count": 1, "reason": reason, "address": row.last_address, "window_s": policy.window_s})
        row.window_reported = 1


def gate(store: Store, *, name: str, address: str, now: float, policy: ThrottlePolicy) -> str | None:
    """Why this attempt is refused before its password is checked (locked, back-off); None if not.

    A refused attempt is counted (and audited, aggregated) here.
    """
    with store.unit() as s:
        throttle_repo.lock(s)
        user = throttle_repo.counter(s, key=USER_KEY + name)
        addr = throttle_repo.counter(s, key=ADDRESS_KEY + address)
        _forget(user, now, policy.user_forget_s)
        _forget(addr, now, policy.address_forget_s)
        message, reason = None, ""
        if user.locked:
            message = (f"account {name!r} is locked after {user.failures} failed logins: an administrator "
                       f"must run `epitrace users enable {name}`")
            reason = "locked"
        else:
            wait = max(_wait(user, now, policy), _wait(addr, now, policy))
            if wait > 0:
                message, reason = f"too many failed logins: try again in {math.ceil(wait)} s", "back-off"
        if message:
            _count(store, s, user, name=name, address=address, now=now, reason=reason, policy=policy)
    return message


def failed(store: Store, *, name: str, address: str, now: float, reason: str, policy: ThrottlePolicy) -> bool:
    """Count a failed login of `name` from `address`; True when it locked the account."""
    with store.unit() as s:
        throttle_repo.lock(s)
        user = throttle_repo.counter(s, key=USER_KEY + name)
        addr = throttle_repo.counter(s, key=ADDRESS_KEY + address)
        for row in (user, addr):
            row.failures += 1
            row.last_failure_ts = now
        _count(store, s, user, name=name, address=address, now=now, reason=reason, policy=policy)
        if user.locked or user.failures < policy.lockout_failures:
            return False
        user.locked = True
        _flush(store, s, user, name, policy)
        audit.record(store, user=_who(name), action="login_locked", session=s,
                     detail={"failures": user.failures, "address": address[:100]})
        return True


def succeeded(store: Store, *, name: str, address: str, policy: ThrottlePolicy,
              session: Unit | None = None) -> None:
    """A good login: its name's and address's failures are forgotten (the window is flushed)."""
    with store.unit(session) as s:
        user = throttle_repo.peek(s, key=USER_KEY + name)
        addr = throttle_repo.peek(s, key=ADDRESS_KEY + address)
        if user is None and (addr is None or not addr.failures):
            return
        throttle_repo.lock(s)
        if user is not None:
            _flush(store, s, user, name, policy)
            user.failures, user.window_count, user.window_reported = 0, 0, 0
        if addr is not None:
            addr.failures = 0


def unlock(store: Store, *, name: str, policy: ThrottlePolicy, session: Unit | None = None) -> bool:
    """Lift `name`'s lockout and forget its failures; True when it was locked."""
    with store.unit(session) as s:
        throttle_repo.lock(s)
        user = throttle_repo.peek(s, key=USER_KEY + name)
        if user is None:
            return False
        was = user.locked
        _flush(store, s, user, name, policy)
        user.locked, user.failures, user.window_count, user.window_reported = False, 0, 0, 0
        return was


def is_locked(store: Store, *, name: str, session: Unit | None = None) -> bool:
    """Whether `name` is locked out now."""
    with store.unit(session) as s:
        row = throttle_repo.peek(s, key=USER_KEY + name)
        return bool(row is not None and row.locked)
