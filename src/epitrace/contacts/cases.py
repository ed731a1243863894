"""The contacts of a case: each subject's confirmed sightings run through the contact engine."""

from __future__ import annotations

from epitrace.config import ContactPolicy
from epitrace.contacts.engine import Contact, contacts_of_contacts, find_contacts
from epitrace.store import Store
from epitrace.store.cases import confirmed_by_subject
from epitrace.store.orm import Case, Subject


def case_contacts(store: Store, *, case: Case, policy: ContactPolicy,
                  second_order: bool = False) -> list[tuple[Subject, int, Contact]]:
    """(subject, order, contact) for each subject of `case` (subjects loaded).

    The contacts of its confirmed sightings (order 1) and, with `second_order`, their contacts
    (order 2).
    """
    confirmed = confirmed_by_subject(store, case_id=case.id)
    rows: list[tuple[Subject, int, Contact]] = []
    for subject in case.subjects:
        tracks = confirmed.get(subject.id, [])
        found = find_contacts(store, tracks, policy) if tracks else []
        rows += [(subject, 1, c) for c in found]
        if second_order and found:
            rows += [(subject, 2, c) for c in contacts_of_contacts(store, found, policy)]
    return rows
