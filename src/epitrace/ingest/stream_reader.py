"""Reading a live stream: time limits, reconnection with back-off, time stamps for frames.

See `stream.py` for how the frames are stored.

A reader thread owns the connection: it decodes, keeps about `analysed_fps` frames a second and
hands them over through a bounded queue (dropping frames, never blocking, when analysis falls
behind, so the server never stalls us), framing each connection's frames with Connected and
Ended events and ending with Finished. Every blocking call has a time limit (PyAV's open/read
`timeout`, plus the protocol's own socket options), so a dead stream ends in a drop or a clear
error, never a hang.

Time stamps come from the stream's own clock (presentation times, steadier than receipt times,
which come in bursts) anchored on the wall clock (UTC): the anchor is the latest of the time the
connection was opened (nothing live is sent before that) and, over the first second of frames,
min(receipt time - stream offset) (nothing is received before it is sent); probing holds the
first frames back a second or two, so receipt time alone would be late. No frame is stamped
after its receipt. If the two clocks drift more than `max_clock_jump_s` apart, a new segment is
anchored anew; a stream without time stamps is stamped with the wall clock at receipt.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import av
from pydantic import Field

from epitrace.config.settings import StrictModel
from epitrace.ingest.sampling import FrameSampler

logger = logging.getLogger(__name__)
LIVE_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "udp", "tcp")


class StreamError(RuntimeError):
    """The stream URL never delivered video (wrong URL, camera unreachable, bad credentials)."""


class StreamOptions(StrictModel):
    """How a live stream is read. Times are seconds."""

    open_timeout_s: float = Field(10.0, gt=0, description="Longest wait to open the stream.")
    read_timeout_s: float = Field(10.0, gt=0, description="Longest wait for data before the stream counts as dropped.")
    first_attempts: int = Field(3, ge=1, description="Tries before a URL that never connected is an error.")
    backoff_initial_s: float = Field(0.5, gt=0, description="First wait before reconnecting; doubles each try.")
    backoff_max_s: float = Field(8.0, gt=0, description="Longest wait between reconnection tries.")
    give_up_after_s: float | None = Field(None, gt=0, description="Stop when down this long (None: keep trying).")
    max_seconds: float | None = Field(None, gt=0, description="Stop after this long in all (None: until stopped).")
    max_clock_jump_s: float = Field(
        10.0, gt=0, description="Drift between the stream's clock and the wall clock that starts a new segment.")
    queue_s: float = Field(4.0, gt=0, description="Analysed frames buffered, in seconds of video.")
    rtsp_transport: str = Field("tcp", pattern="^(tcp|udp)$", description="RTSP transport (tcp survives NAT and loss).")


def is_live_url(source: str) -> bool:
    """True for a URL that ingest reads as a live stream (a plain path is a file)."""
    return urlsplit(source).scheme.lower() in LIVE_SCHEMES


def safe_url(url: str) -> str:
    """The URL without user name and password (for the store and logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def backoff_delays(options: StreamOptions) -> Iterator[float]:
    """0.5, 1, 2, 4 ... capped at `backoff_max_s` (the defaults)."""
    delay = options.backoff_initial_s
    while True:
        yield delay
        delay = min(delay * 2, options.backoff_max_s)


# Events from the reader thread, in order: Connected, frames, Ended; repeated per connection.
@dataclass(frozen=True)
class Connected:
    """A connection opened: its frames follow."""

    anchor_ts: float  # UTC epoch s of the connection's first frame
    fps: float
    attempts: int  # connection tries this took


@dataclass(frozen=True)
class Ended:
    """A connection ended: its frames are all out."""

    reason: str  # why the connection ended; "" when stopped on purpose
    last_ts: float  # time stamp just after the last frame of the connection


@dataclass(frozen=True)
class Finished:
    """The reader stopped for good: the last event."""

    error: BaseException | None  # why the reader gave up for good (None: stopped on purpose)


def _open(url: str, options: StreamOptions) -> Any:
    scheme = urlsplit(url).scheme.lower()
    micros = str(int(options.read_timeout_s * 1e6))
    opts = {"rw_timeout": micros}
    if scheme.startswith("rtsp"):
        opts = {"rtsp_transport": options.rtsp_transport, "timeout": micros}
    elif scheme.startswith("http"):  # redirects off: a camera URL never sends the server elsewhere (F5)
        opts.update({"timeout": micros, "max_redirects": "0", "reconnect": "0"})
    return av.open(url, options=opts, timeout=(options.open_timeout_s, options.read_timeout_s))


SETTLE_S = 1.0  # seconds of first frames used to fix a connection's anchor


class _Clock:
    """Stamps one connection's frames: an index on the `fps` grid from an anchor (UTC s).

    The anchor is the latest of: when the connection was opened (nothing live is sent before),
    and min(receipt - stream offset) over the first second of frames (nothing is received before
    it is sent). Frames then get the stream's offset, but never a time after their receipt.
    """

    def __init__(self, fps: float, base: Any, opened_at: float, max_jump_s: float) -> None:
        self.fps, self.base, self.opened_at, self.max_jump_s = fps, base, opened_at, max_jump_s
        self.anchor, self.last_index = opened_at, -1
        self.first_pts: int | None = None
        self.has_pts = False

    @property
    def last_ts(self) -> float:
        """Just after the last frame stamped."""
        return self.anchor + (self.last_index + 1) / self.fps

    def offset(self, frame: av.VideoFrame) -> float | None:
        """Seconds since the first time-stamped frame on the stream's clock (None: no stamp)."""
        if frame.pts is None or not self.base:
            return None
        if self.first_pts is None:
            self.first_pts, self.has_pts = frame.pts, True
        return float((frame.pts - self.first_pts) * self.base)

    def settle(self, first: list[tuple[float, float | None]]) -> float:
        bounds = [received - offset for received, offset in first if offset is not None]
        self.anchor = max(self.opened_at, min(bounds)) if bounds else first[0][0]
        return self.anchor

    def restart(self, received: float, frame: av.VideoFrame) -> float:
        self.anchor, self.first_pts, self.last_index = received, frame.pts, -1
        return self.anchor

    def index(self, received: float, offset: float | None) -> tuple[bool, int | None]:
        """(clock jumped: start a new segment, index or None to skip the frame)."""
        elapsed = received - self.anchor
        if offset is None:
            if self.has_pts:
                return False, None  # a stray frame without a stamp in a stamped stream
            offset = elapsed  # no stream clock: wall clock at receipt
        if abs(offset - elapsed) > self.max_jump_s:
            return True, None
        index = round(min(offset, elapsed) * self.fps)  # never stamped after receipt
        if index <= self.last_index:
            return False, None  # a second frame in the same slot, or a small step back
        self.last_index = index
        return False, index


class _Scrubbed(Exception):
    """An FFmpeg error whose text names the URL without its password."""

    def __init__(self, exc: BaseException, url: str) -> None:
        super().__init__(str(exc).replace(url, safe_url(url)))


class StreamReader(threading.Thread):
    """Reads `url` until stopped, reconnecting; puts Connected / (index, frame) / Ended events."""

    def __init__(self, url: str, fps: float | None, analysed_fps: float, options: StreamOptions) -> None:
        super().__init__(name=f"stream {safe_url(url)}", daemon=True)
        self.url, self.fps, self.analysed_fps, self.options = url, fps, analysed_fps, options
        size = max(2, int(options.queue_s * analysed_fps))
        self.events: queue.Queue[Any] = queue.Queue(maxsize=size + 2)
        self.stop_event = threading.Event()
        self.dropped = 0

    def stop(self) -> None:
        """Ask the reader to end the current connection and stop."""
        self.stop_event.set()

    def run(self) -> None:
        """The thread's body: connect and read until stopped; always ends with Finished."""
        try:
            self.events.put(Finished(self._connect_loop()))
        except BaseException as exc:  # a bug here must not leave the consumer waiting forever
            logger.exception("stream reader failed")
            self.events.put(Finished(exc))

    def _connect_loop(self) -> BaseException | None:
        """Connect, pump, reconnect with back-off; the error that ended it all (None: stopped)."""
        delays, attempts, connected_once, down_since = backoff_delays(self.options), 0, False, time.time()
        error: BaseException | None = None
        name = safe_url(self.url)
        while not self.stop_event.is_set() and not self._out_of_time():
            attempts += 1
            opened_at = time.time()
            try:
                with _open(self.url, self.options) as container:
                    got_frames = self._pump(container, attempts, opened_at)
            except (av.FFmpegError, OSError) as exc:
                error, got_frames = _Scrubbed(exc, self.url), False
            if got_frames:
                connected_once, attempts, delays, down_since = True, 0, backoff_delays(self.options), time.time()
                continue  # reconnect at once; back off only if that fails
            if not connected_once and attempts >= self.options.first_attempts:
                return StreamError(f"{name}: no video after {attempts} tries ({error}). Check the URL and "
                                   "path, that the camera is reachable from here, and its user and password")
            limit = self.options.give_up_after_s
            if connected_once and limit is not None and time.time() - down_since > limit:
                return StreamError(f"{name}: still down after {limit:.0f} s ({error}); gave up")
            delay = next(delays)
            logger.info("%s: connection try %d failed (%s); next in %.1f s", name, attempts, error, delay)
            self.stop_event.wait(delay)
        return None

    def _out_of_time(self) -> bool:
        limit = self.options.max_seconds
        return limit is not None and time.time() - self._began > limit

    def _pump(self, container: Any, attempts: int, opened_at: float) -> bool:
        """Frames of one connection, framed by Connected and Ended; False if none came."""
        if not container.streams.video:
            raise av.error.InvalidDataError(0, "no video stream in it")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = (float(rate) if rate else 0.0) or self.fps or 25.0  # live time stamps are real time
        clock = _Clock(fps, stream.time_base, opened_at, self.options.max_clock_jump_s)
        sampler = FrameSampler(fps, self.analysed_fps)
        settling: list[tuple[float, float | None, av.VideoFrame]] = []
        reason, started = "stream ended", False
        try:
            for frame in container.decode(stream):
                now = time.time()
                if not started:  # hold the first second of frames back to fix the anchor
                    settling.append((now, clock.offset(frame), frame))
                    if now - settling[0][0] < SETTLE_S:
                        continue
                    started = True
                    self._put(Connected(clock.settle([(r, c) for r, c, _ in settling]), fps, attempts))
                    items = [(r, c, f) for r, c, f in settling if c is not None or not clock.has_pts]
                else:
                    items = [(now, clock.offset(frame), frame)]
                for received, offset, item in items:
                    jumped, index = clock.index(received, offset)
                    if jumped:  # a new segment, anchored anew on this frame
                        self._put(Ended("stream clock jumped", clock.last_ts))
                        self._put(Connected(clock.restart(received, item), fps, 0))
                        _, index = clock.index(received, clock.offset(item))
                    if index is not None and sampler(index):
                        self._put_frame(index, item)
                if self.stop_event.is_set() or self._out_of_time():
                    self.stop_event.set()
                    reason = ""
                    break
        except (av.FFmpegError, OSError) as exc:
            if not started and not settling:
                raise
            reason = f"{type(exc).__name__}: {_Scrubbed(exc, self.url)}"
        if not started and settling:  # ended within the first second: still a connection
            started = True
            self._put(Connected(clock.settle([(r, c) for r, c, _ in settling]), fps, attempts))
            for received, offset, item in settling:
                _, index = clock.index(received, offset)
                if index is not None and sampler(index):
                    self._put_frame(index, item)
        if started:
            if reason:
                logger.warning("%s dropped (%s)", safe_url(self.url), reason)
            self._put(Ended(reason, clock.last_ts))
        return started

    def start(self) -> None:
        """Start reading (the clock of `max_seconds` starts now)."""
        self._began = time.time()
        super().start()

    def _put(self, event: Any) -> None:
        self.events.put(event)  # control events are never dropped

    def _put_frame(self, index: int, frame: av.VideoFrame) -> None:
        try:
            self.events.put_nowait((index, frame))
        except queue.Full:
            self.dropped += 1  # analysis is behind: drop rather than stall the server
