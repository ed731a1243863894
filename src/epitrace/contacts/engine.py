"""The exposure engine: who was close to the subject, for how long, masked or not.

Works on stored tracks only (never re-decodes video): for each subject track, every other
track of the same camera overlapping it in time is compared frame by frame on the ground
plane (`episodes.contact_episodes`); contacts seen on several cameras are merged into one
person by body appearance (`merge.group_people`), and each person gets a risk level with its
reason (`risk.PolicyRiskRule`).

Person labels: a person is keyed by the smallest track id of its group (`merge.person_keys`),
and the groups are formed over every track that shared time with the subject on a camera
(whether or not it came close), so the label of one person does not depend on the policy's
radius, on who else was found, or on a second-order run; `P<track id>` names the same person
in the CLI, the API, the web page and the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from epitrace.config import ContactPolicy
from epitrace.contacts.cameras import CameraPlace, camera_places
from epitrace.contacts.episodes import Episode, PairExposure, contact_episodes, max_window_exposure
from epitrace.contacts.merge import DEFAULT_MERGE_THRESHOLD, person_keys
from epitrace.contacts.queries import (
    TrackInfo,
    body_vectors,
    get_tracks,
    overlapping_tracks,
    track_series,
)
from epitrace.contacts.risk import ExposureInterval, RiskLevel, RiskRule, get_risk_rule, is_unmasked
from epitrace.contacts.uncertainty import distance_sigma
from epitrace.store import Store

logger = logging.getLogger(__name__)

_RISK_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class MaskInfo:
    """A track's mask state ('mask', 'no_mask', 'unknown') and the classifier's confidence."""

    state: str
    confidence: float


@dataclass(frozen=True)
class Contact:
    """One contact track of one subject track on one camera.

    Attributes:
        camera_id: the camera both tracks are on.
        subject_track_id: the subject's track.
        contact_track_id: the other person's track.
        episodes: contact episodes in time order (co-presence ones if `calibrated` is False).
        exposure_s: sum of episode durations, seconds.
        min_distance_m: closest ground distance, metres (None if uncalibrated).
        calibrated: False when the camera has no ground calibration (co-presence only).
        subject_mask, contact_mask: mask state of each track.
        first_seen, last_seen: first and last contact frame, aware, in the camera's zone.
        camera_name, place: the camera as registered.
        distance_uncertainty_m: one-sigma error of `min_distance_m` (foot points' pixel error
            through the calibration at the two people's places, plus the calibration's
            reprojection RMSE, see `contacts.cameras`); None when not measured.
        person_id: the merged contact person: the smallest track id of its group, equal across
            cameras, policies and runs for one person (see the module docstring).
        person_label: `P<person_id>`, the name people read.
        person_exposure_s: the person's exposure in the policy's best window, all cameras,
            overlapping views counted once, seconds.
        risk: the person's risk level under the policy.
        risk_reason: the rule's branch that set `risk`, in words.
        risk_template, risk_params: the same reason as a `contacts.risk.REASONS` template and
            its values, so that a front end can say it in the reader's language.
        via: for a contact of a contact, the `person_label` of the first-order contact that
            links it to the subject; None for first-order contacts.
    """

    camera_id: str
    subject_track_id: int
    contact_track_id: int
    episodes: tuple[Episode, ...]
    exposure_s: float
    min_distance_m: float | None
    calibrated: bool
    subject_mask: MaskInfo
    contact_mask: MaskInfo
    first_seen: datetime
    last_seen: datetime
    camera_name: str = ""
    place: str = ""
    distance_uncertainty_m: float | None = None
    person_id: int = -1
    person_label: str = ""
    person_exposure_s: float = 0.0
    risk: RiskLevel = "low"
    risk_reason: str = ""
    via: str | None = None
    risk_template: str = ""
    risk_params: tuple[tuple[str, str], ...] = ()


def find_contacts(
    store: Store,
    subject_track_ids: list[int],
    policy: ContactPolicy,
    *,
    max_gap_frames: int = 2,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    exclude_track_ids: frozenset[int] = frozenset(),
    risk_rule: str | RiskRule = "policy",
) -> list[Contact]:
    """Every track that came within `policy.distance_m` of the subject's tracks.

    Args:
        store: the store holding the tracks.
        subject_track_ids: the subject's tracks (any cameras, e.g. a confirmed trajectory).
        policy: distance, cumulative time and window.
        max_gap_frames: missed frames bridged inside one episode (see `contact_episodes`).
        merge_threshold: body-vector cosine to merge contacts across cameras (see `merge`).
        exclude_track_ids: tracks never reported (the subject's own tracks are always left out).
        risk_rule: name or instance of the risk rule (default `PolicyRiskRule`).

    Returns:
        Contacts with at least one episode, highest risk and longest exposure first.

    Example:
        >>> find_contacts(store, [12, 40], get_policy("cdc"))  # doctest: +SKIP
        [Contact(camera_id='lobby', subject_track_id=12, contact_track_id=15, ...), ...]
    """
    rule = get_risk_rule(risk_rule) if isinstance(risk_rule, str) else risk_rule
    subjects = get_tracks(store=store, track_ids=list(dict.fromkeys(subject_track_ids)))
    skip = set(exclude_track_ids) | {t.id for t in subjects}
    pairs: list[tuple[TrackInfo, TrackInfo]] = []
    for subject in subjects:
        pairs += [(subject, other) for other in overlapping_tracks(store=store, track=subject)
                  if other.id not in skip]
    if not pairs:
        return []
    ids = list({t.id for pair in pairs for t in pair})
    series = track_series(store=store, track_ids=ids)
    cameras = camera_places(store, camera_ids=sorted({s.camera_id for s in subjects}))
    contacts = []
    for subject, other in pairs:
        if subject.id not in series or other.id not in series:
            continue
        period = max(subject.frame_period_s, other.frame_period_s)
        pair = contact_episodes(series[subject.id], series[other.id], policy.distance_m, period,
                                max_gap_frames)
        if pair.episodes:
            contacts.append(_contact(subject, other, pair, cameras[subject.camera_id]))
    logger.info("%d contacts of %d subject tracks under %s", len(contacts), len(subjects),
                policy.name)
    if not contacts:
        return []
    pool = list(dict.fromkeys(other.id for _, other in pairs))
    camera_of = {other.id: other.camera_id for _, other in pairs}
    vectors = body_vectors(store=store, track_ids=pool)
    keys = person_keys(pool, [camera_of[t] for t in pool], vectors, merge_threshold)
    return rate_people(contacts, [keys[c.contact_track_id] for c in contacts], policy, rule)


def _uncertainty(pair: PairExposure, camera: CameraPlace) -> float | None:
    """The closest distance's one-sigma error: foot points through the calibration, plus its RMSE."""
    if not pair.calibrated:
        return None
    if camera.calibration is None or pair.closest is None:
        return camera.distance_uncertainty_m
    sigma = distance_sigma(camera.calibration, *pair.closest, calibration_rmse_m=camera.distance_uncertainty_m)
    return camera.distance_uncertainty_m if sigma is None else sigma


def _contact(subject: TrackInfo, other: TrackInfo, pair: PairExposure, camera: CameraPlace) -> Contact:
    """One contact row with its camera's place, local times and distance uncertainty."""
    return Contact(
        camera_id=subject.camera_id, subject_track_id=subject.id, contact_track_id=other.id,
        episodes=pair.episodes, exposure_s=pair.exposure_s, min_distance_m=pair.min_distance_m,
        calibrated=pair.calibrated,
        subject_mask=MaskInfo(subject.mask_state, subject.mask_confidence),
        contact_mask=MaskInfo(other.mask_state, other.mask_confidence),
        first_seen=camera.local(pair.episodes[0].start_ts), last_seen=camera.local(pair.episodes[-1].end_ts),
        camera_name=camera.name, place=camera.place,
        distance_uncertainty_m=_uncertainty(pair, camera))


def rate_people(contacts: list[Contact], labels: list[int], policy: ContactPolicy,
                rule: RiskRule | None = None) -> list[Contact]:
    """Give each contact its person, the person's windowed exposure, risk level and reason.

    `labels` are person keys (`merge.person_keys`: the person's smallest track id); the
    person is shown as `P<key>`. The exposure sums a person's calibrated episodes over all cameras in the policy's best
    window (co-presence episodes if the person has no calibrated one), counting overlapping
    views of the same moment once.
    """
    rule = rule or get_risk_rule("policy")
    window = policy.window_h * 3600.0
    out = []
    for person in sorted(set(labels)):
        members = [c for c, lab in zip(contacts, labels, strict=True) if lab == person]
        intervals = [
            ExposureInterval(e.start_ts, e.start_ts + e.duration_s, c.calibrated,
                             is_unmasked(c.subject_mask.state, c.contact_mask.state))
            for c in members for e in c.episodes]
        counted = [i for i in intervals if i.calibrated] or intervals
        exposure = max_window_exposure([(i.start_ts, i.end_ts) for i in counted], window)
        risk = rule.assess(intervals, policy)
        out += [replace(c, person_id=person, person_label=f"P{person}", person_exposure_s=exposure,
                        risk=risk.level, risk_reason=risk.reason, risk_template=risk.template,
                        risk_params=tuple(sorted(risk.params.items()))) for c in members]
    out.sort(key=lambda c: (_RISK_ORDER[c.risk], -c.person_exposure_s, c.person_id,
                            c.episodes[0].start_ts))
    return out


def contacts_of_contacts(
    store: Store,
    contacts: list[Contact],
    policy: ContactPolicy,
    *,
    max_gap_frames: int = 2,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
) -> list[Contact]:
    """Second-order contacts: the same search run on the first-order contacts' tracks.

    The original subject's tracks and the first-order contacts themselves are left out (they
    are already traced), so the result lists only new people. Each result's
    `subject_track_id` is the first-order contact's track it was found through, and its `via`
    that contact's `person_label`.
    """
    if not contacts:
        return []
    firsts = list(dict.fromkeys(c.contact_track_id for c in contacts))
    label = {c.contact_track_id: c.person_label for c in contacts}
    subjects = frozenset(c.subject_track_id for c in contacts)
    found = find_contacts(store, firsts, policy, max_gap_frames=max_gap_frames,
                          merge_threshold=merge_threshold, exclude_track_ids=subjects)
    return [replace(c, via=label[c.subject_track_id]) for c in found]
