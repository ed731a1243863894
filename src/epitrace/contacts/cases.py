"""The contacts of a case: each subject's confirmed sightings run through the contact engine."""

from __future__ import annotations

from epitrace.config import ContactPolicy
from epitrace.contacts.engine import Contact, contacts_of_contacts, find_contacts
from epitrace.store import Store
from epitrace.store.case_scope import Scope, scope_of, tracks_in_scope
from epitrace.store.cases import confirmed_by_subject
from epitrace.store.orm import Case, Subject


def case_contacts(store: Store, *, case: Case, policy: ContactPolicy,
                  second_order: bool = False) -> list[tuple[Subject, int, Contact]]:
    """(subject, order, contact) for each subject of `case` (subjects loaded).

    The contacts of its confirmed sightings (order 1) and, with `second_order`, their contacts
    (order 2). Only contact sightings inside the case's scope (window and cameras) are kept, and
    only those are followed to the second order: tracks overlap in time, so a chain of contacts
    would otherwise walk out of the window the case was approved for.
    """
    confirmed = confirmed_by_subject(store, case_id=case.id)
    scope = scope_of(case)
    rows: list[tuple[Subject, int, Contact]] = []
    for subject in case.subjects:
        tracks = confirmed.get(subject.id, [])
        found = _in_scope(store, scope, find_contacts(store, tracks, policy)) if tracks else []
        rows += [(subject, 1, c) for c in found]
        if second_order and found:
            rows += [(subject, 2, c) for c in _in_scope(store, scope, contacts_of_contacts(store, found, policy))]
    return rows


def _in_scope(store: Store, scope: Scope, contacts: list[Contact]) -> list[Contact]:
    """The contacts whose sighting lies in the case's window and cameras."""
    inside = tracks_in_scope(store, scope=scope, track_ids=sorted({c.contact_track_id for c in contacts}))
    return [c for c in contacts if c.contact_track_id in inside]
