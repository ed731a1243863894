"""Foot points of a track's boxes, robust to a box that swallows an occluder's legs.

When a nearer person walks in front of a track's person, the detector (or the tracker's
matched box) often stretches the far person's box down to the near person's feet: the top
stays on the far head, the bottom jumps to the near feet, and the bottom-centre "foot" maps
onto the near person on the ground. On PETS S2L1 frames 0-399 this put a person 2.5 m from
where they stood for five frames and made a contact with the occluder that never happened.

A person's pixel height changes smoothly with depth, and a centred running median of a
monotonic trend is the trend itself, so a box far taller than the median of its neighbours,
grown at the bottom, has a wrong bottom; its foot is then placed one typical height (the
running median) under its top, which the occluder does not move. Boxes grown at the top
(merged with someone behind) keep their bottom, which is still the person's own feet.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter

FOOT_WINDOW_S = 2.0  # running-median window: longer than an occlusion, short for depth change
TALL_RATIO = 1.2  # box height over the running median that no walking pace produces


def foot_window(fps: float, analysed_step: float) -> int:
    """Odd number of track points spanning `FOOT_WINDOW_S` at `fps / analysed_step`."""
    return max(3, round(FOOT_WINDOW_S * fps / max(analysed_step, 1.0))) | 1


def foot_points(boxes: npt.NDArray[np.floating], window: int) -> npt.NDArray[np.float32]:
    """(n, 2) image foot points (bottom centre) of a track's (n, 4) xyxy boxes, in order.

    Args:
        boxes: the track's boxes, one per point, time-ordered.
        window: running-median length in points (see `foot_window`); < 3 keeps every bottom.
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    foot = np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 3]], axis=1)
    if window < 3 or len(b) < 3:
        return foot.astype(np.float32)
    size = min(window, len(b) - (1 - len(b) % 2))  # odd and no longer than the track
    height = b[:, 3] - b[:, 1]
    typical = median_filter(height, size=size, mode="nearest")
    bottom = median_filter(b[:, 3], size=size, mode="nearest")
    grown = height - typical
    wrong = (height > TALL_RATIO * typical) & (b[:, 3] - bottom > grown / 2)
    foot[wrong, 1] = b[wrong, 1] + typical[wrong]
    return foot.astype(np.float32)
