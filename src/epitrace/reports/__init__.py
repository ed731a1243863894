"""Case reports (HTML, PDF) and their figures (timeline, route, contact graph)."""

from epitrace.reports.data import ReportData, gather
from epitrace.reports.render import figures, write_report

__all__ = ["ReportData", "figures", "gather", "write_report"]
