"""EpiTrace: find a patient across CCTV cameras, list close contacts, protect everyone else."""

__version__ = "0.1.0"
