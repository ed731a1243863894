"""The contact list as records, CSV and JSON: one shape for the CLI, files and health authorities.

One record per contact sighting (a subject's track and a contact's track on one camera), with
the person label that groups a person's sightings across cameras, so a receiving system can
count people (distinct `person_label` per subject and order) or act on each encounter. Times are
ISO 8601 in the camera's zone with its offset, so dates for quarantine are local dates and the
instant is still exact.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from epitrace.config import ContactPolicy
from epitrace.contacts import Contact

ContactItem = tuple[str, int, Contact]
"""(subject label, order: 1 contact, 2 contact of a contact, the contact)."""

FIELDS = (
    "subject", "order", "person_label", "via", "camera_id", "camera_name", "place", "time_zone",
    "first_seen", "last_seen", "exposure_s", "person_exposure_s", "min_distance_m",
    "distance_uncertainty_m", "calibrated", "subject_mask", "contact_mask", "risk", "risk_reason",
    "episodes", "subject_track_id", "contact_track_id",
)
"""Column order of the CSV and key order of each JSON record."""


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def contact_record(subject: str, order: int, c: Contact) -> dict[str, object]:
    """One contact as plain JSON-ready values, keys in `FIELDS` order."""
    record: dict[str, object] = {
        "subject": subject, "order": order, "person_label": c.person_label, "via": c.via,
        "camera_id": c.camera_id, "camera_name": c.camera_name, "place": c.place,
        "time_zone": str(c.first_seen.tzinfo),
        "first_seen": c.first_seen.isoformat(timespec="milliseconds"),
        "last_seen": c.last_seen.isoformat(timespec="milliseconds"), "exposure_s": round(c.exposure_s, 2),
        "person_exposure_s": round(c.person_exposure_s, 2),
        "min_distance_m": _round(c.min_distance_m, 3),
        "distance_uncertainty_m": _round(c.distance_uncertainty_m, 3), "calibrated": c.calibrated,
        "subject_mask": c.subject_mask.state, "contact_mask": c.contact_mask.state, "risk": c.risk,
        "risk_reason": c.risk_reason, "episodes": len(c.episodes),
        "subject_track_id": c.subject_track_id, "contact_track_id": c.contact_track_id,
    }
    return {k: record[k] for k in FIELDS}


def contact_records(items: Iterable[ContactItem]) -> list[dict[str, object]]:
    """Records sorted by subject, order, the person's exposure (largest first), then time."""
    ordered = sorted(items, key=lambda i: (i[0], i[1], -i[2].person_exposure_s, i[2].person_id,
                                           i[2].first_seen.timestamp()))
    return [contact_record(s, o, c) for s, o, c in ordered]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Text a spreadsheet would run as a formula (a label "=HYPERLINK(...)" sends the sheet away)."""


def _cell(value: object) -> object:
    """A CSV cell: empty for unknown, typed text that would start a formula quoted with a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def contacts_csv(items: Iterable[ContactItem]) -> str:
    """The records as CSV text (header row; empty cell for an unknown value; no cell starts a formula)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in contact_records(items):
        writer.writerow({k: _cell(v) for k, v in record.items()})
    return buf.getvalue()


def contacts_document(items: Iterable[ContactItem], *, case_id: str, policy: ContactPolicy) -> dict[str, object]:
    """The records in one JSON-ready document with the case, the policy and the counts they came from."""
    records = contact_records(items)
    people = {(r["subject"], r["order"], r["person_label"]) for r in records}
    return {"case_id": case_id, "generated": datetime.now(UTC).isoformat(timespec="seconds"),
            "policy": policy.model_dump(), "people": len(people), "sightings": len(records),
            "contacts": records}


def write_contacts_csv(items: Iterable[ContactItem], path: Path) -> Path:
    """`contacts_csv` written to `path` (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(contacts_csv(items), encoding="utf-8")
    return path


def write_contacts_json(items: Iterable[ContactItem], path: Path, *, case_id: str,
                        policy: ContactPolicy) -> Path:
    """`contacts_document` written to `path` as JSON (UTF-8)."""
    doc = contacts_document(items, case_id=case_id, policy=policy)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
