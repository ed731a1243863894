"""Case reports (HTML, PDF) and their figures (timeline, route, contact graph)."""

from epitrace.reports.contact_export import (
    FIELDS,
    contact_record,
    contact_records,
    contacts_csv,
    contacts_document,
    write_contacts_csv,
    write_contacts_json,
)
from epitrace.reports.data import ReportData, gather
from epitrace.reports.people import PersonRow, people
from epitrace.reports.render import figures, write_report

__all__ = [
    "FIELDS",
    "PersonRow",
    "ReportData",
    "contact_record",
    "contact_records",
    "contacts_csv",
    "contacts_document",
    "figures",
    "gather",
    "people",
    "write_contacts_csv",
    "write_contacts_json",
    "write_report",
]
