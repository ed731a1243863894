"""Old home of video decoding, kept so existing imports work: use `epitrace.media`."""

from epitrace.media import SEEK_MIN_FRAMES, VideoError, VideoInfo, file_sha256, iter_frames, probe_video, to_bgr

__all__ = ["SEEK_MIN_FRAMES", "VideoError", "VideoInfo", "file_sha256", "iter_frames", "probe_video", "to_bgr"]
