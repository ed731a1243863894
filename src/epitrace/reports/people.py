"""Contact sightings folded into one row per contact person, as a report lists them.

A person seen on two cameras is two contact sightings but one person to call: the report counts
and lists people (by their stable `person_label`) and says how many sightings they came from, so
its counts agree with its table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from epitrace.config import ContactPolicy
from epitrace.contacts import Contact, duration_words
from epitrace.reports.i18n import ENGLISH, Gettext


@dataclass
class PersonRow:
    """One contact person of one subject.

    Attributes:
        via: for a contact of a contact, the labels of the contacts it was found through.
        places: 'camera name (place)' of each camera the person was met on, sorted.
        first_seen, last_seen: earliest and latest contact frame, each in its camera's zone.
        exposure_s: the person's exposure in the policy's best window, seconds.
        min_distance_m: closest distance over the person's sightings (None: co-presence only);
            `distance_uncertainty_m` is that sighting camera's one-sigma error (None: unknown).
        subject_masks, contact_masks: the mask states seen, joined ('mask' or 'mask, unknown').
        tracks: the person's contact tracks, most exposed first (the first with a photo is shown).
        reason_template, reason_params: `risk_reason` as a template and its values (for translation).
    """

    label: str
    via: str | None
    risk: str
    risk_reason: str
    exposure_s: float
    first_seen: datetime
    last_seen: datetime
    min_distance_m: float | None = None
    distance_uncertainty_m: float | None = None
    places: list[str] = field(default_factory=list)
    subject_masks: str = ""
    contact_masks: str = ""
    sightings: int = 0
    episodes: int = 0
    tracks: list[int] = field(default_factory=list)
    reason_template: str = ""
    reason_params: tuple[tuple[str, str], ...] = ()


def _where(c: Contact) -> str:
    return f"{c.camera_name or c.camera_id} ({c.place})" if c.place else (c.camera_name or c.camera_id)


def _join(states: list[str]) -> str:
    return ", ".join(sorted(set(states)))


def people(contacts: list[Contact]) -> list[PersonRow]:
    """One row per person label, highest risk then most exposed first."""
    groups: dict[str, list[Contact]] = {}
    for c in contacts:
        groups.setdefault(c.person_label or f"P{c.person_id}", []).append(c)
    rows = []
    for label, members in groups.items():
        members.sort(key=lambda c: -c.exposure_s)
        measured = [c for c in members if c.min_distance_m is not None]
        closest = min(measured, key=lambda c: c.min_distance_m or 0.0) if measured else None
        head = members[0]
        rows.append(PersonRow(
            label=label, via=", ".join(sorted({c.via for c in members if c.via})) or None,
            risk=head.risk, risk_reason=head.risk_reason, reason_template=head.risk_template,
            reason_params=head.risk_params,
            exposure_s=head.person_exposure_s,
            first_seen=min((c.first_seen for c in members), key=lambda d: d.timestamp()),
            last_seen=max((c.last_seen for c in members), key=lambda d: d.timestamp()),
            min_distance_m=None if closest is None else closest.min_distance_m,
            distance_uncertainty_m=None if closest is None else closest.distance_uncertainty_m,
            places=sorted({_where(c) for c in members}),
            subject_masks=_join([c.subject_mask.state for c in members]),
            contact_masks=_join([c.contact_mask.state for c in members]),
            sightings=len({c.contact_track_id for c in members}),
            episodes=sum(len(c.episodes) for c in members),
            tracks=list(dict.fromkeys(c.contact_track_id for c in members))))
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(rows, key=lambda r: (order.get(r.risk, 3), -r.exposure_s, r.label))


def stamp(moment: datetime, zone: tzinfo | None = None) -> str:
    """'2026-03-02 18:00:05 KST': a local time with its zone (converted to `zone` if given)."""
    return (moment.astimezone(zone) if zone else moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def distance_words(row: PersonRow, _: Gettext = ENGLISH) -> str:
    """'0.84 ± 0.08 m', '0.84 m (uncertainty unknown)' or 'co-presence only (uncalibrated)'."""
    if row.min_distance_m is None:
        return _("co-presence only (uncalibrated)")
    if row.distance_uncertainty_m is None:
        return _("%(metres)s m (uncertainty unknown)") % {"metres": f"{row.min_distance_m:.2f}"}
    return f"{row.min_distance_m:.2f} ± {row.distance_uncertainty_m:.2f} m"


def count_words(contacts: list[Contact], _: Gettext = ENGLISH) -> str:
    """'3 contact people (from 4 sightings)': people and the sightings they were counted from."""
    rows = people(contacts)
    n_people, n_sightings = len(rows), sum(r.sightings for r in rows)
    noun = "person" if n_people == 1 else "people"
    template = f"%(people)d contact {noun} (from %(sightings)d sighting{'s' if n_sightings != 1 else ''})"
    return _(template) % {"people": n_people, "sightings": n_sightings}


MASK_WORDS = {"mask": "mask", "no_mask": "no mask", "unknown": "unknown"}


def mask_words(states: str, _: Gettext = ENGLISH) -> str:
    """'mask, unknown' in the reader's words (the states as `people` joined them)."""
    return ", ".join(_(MASK_WORDS.get(state, state)) for state in states.split(", ") if state)


def policy_text(policy: ContactPolicy, _: Gettext = ENGLISH) -> str:
    """The policy as a tracer quotes it ('cdc: 15.0 min within 1.83 m in 24 h'), in the reader's words."""
    return _("%(name)s: %(need)s within %(distance)s m in %(window)s h") % {
        "name": policy.name, "need": duration_words(policy.min_cumulative_s), "distance": f"{policy.distance_m:g}",
        "window": f"{policy.window_h:g}"}
