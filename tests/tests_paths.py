"""Where the read-only shared data lives: ../shared/data beside the checkout."""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PETS = SHARED_DATA / "pets2009_s2l1"
PETS_VIDEO = PETS / "video" / "vtest.avi"
PETS_GT = PETS / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt"
PETS_WORLD = PETS / "PETS2009-S2L1_world_frames0000-0399.csv"
