// The case page: facts and closing, subjects, enrolment (a person in the footage or a face in a
// photo), candidate review (review.js), the trajectory and the contact list, with playback of
// any sighting (player.js). Times are shown in the camera's zone, with the zone named.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, toast, fmtDuration, guarded, t, fmtLocal, fmtClock, fmtDate, browserZone, zoneLabel, zonedToUtc } = ET;
  const caseId = document.getElementById("case").dataset.caseId;
  const base = `/api/cases/${caseId}`;
  const state = { case: null, subject: null, zones: {}, photo: null, face: null };
  const zoneOf = (cameraId) => state.zones[cameraId] || "UTC";
  const play = (trackId, title) => ETPlayer.play(caseId, trackId, title);

  // ----- case and subjects -------------------------------------------------------------------
  async function loadCase() {
    state.case = await api("GET", base);
    const c = state.case;
    state.zones = Object.fromEntries(c.cameras.map((cam) => [cam.id, cam.timezone]));
    ETReview.setZones(state.zones);
    const zones = [...new Set(Object.values(state.zones))];
    const wz = zones.length === 1 ? zones[0] : browserZone;
    document.getElementById("case-heading").textContent = `${t("Case")} ${c.id}${c.title ? " · " + c.title : ""}`;
    const facts = [[t("Legal basis"), c.legal_basis],
      [t("Window"), `${fmtLocal(c.window_start, wz, false)} → ${fmtLocal(c.window_end, wz, false)} · ${zoneLabel(wz, c.window_start)}`],
      [t("Cameras"), c.camera_scope ? c.camera_scope.join(", ") : t("all")], [t("Status"), `${t(c.status)}${c.outcome ? " · " + c.outcome : ""}`],
      [t("Opened by"), c.created_by]];
    document.getElementById("case-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    const pending = c.status === "pending";
    document.getElementById("case-pending").hidden = !pending;
    // Before approval nothing comes from footage: its cards would only offer buttons that are refused.
    for (const id of ["enrol-card", "candidates-card", "trajectory-card", "contacts-card", "report-card"]) {
      document.getElementById(id).hidden = pending;
    }
    document.getElementById("close-case").hidden = c.status !== "open";
    for (const id of ["search", "describe-submit", "picker-camera"]) { const b = document.getElementById(id); if (b) b.disabled = pending || c.status === "closed"; }
    if (c.status === "closed") { // nothing more is shown from footage: no picker, no review
      document.getElementById("picker").replaceChildren();
      document.getElementById("enrol-card").hidden = true;
      document.getElementById("candidates-card").hidden = true;
      document.getElementById("new-subject").hidden = true;
    }
    if (pending) { renderSubjects(); return; }
    if (!state.subject || !c.subjects.some((s) => s.id === state.subject)) state.subject = c.subjects[0]?.id ?? null;
    renderSubjects();
    const around = document.getElementById("describe-camera");
    if (around.options.length === 1) around.append(...c.cameras.map((cam) => el("option", { value: cam.id, text: cam.name })));
    document.getElementById("describe-zone").textContent = zoneLabel(describeZone(), c.window_start);
    const select = document.getElementById("picker-camera");
    if (!select.options.length) {
      select.replaceChildren(...c.cameras.map((cam) => el("option", { value: cam.id, text: cam.name })));
      if (c.cameras.length) ETFootage.loadCamera().catch((x) => toast(x.message, true));
    }
  }

  function renderSubjects() {
    const c = state.case;
    document.getElementById("subjects").replaceChildren(...c.subjects.map((s) => el("label",
      { class: `chip${s.id === state.subject ? " active" : ""}`, "data-subject": s.id },
      el("input", { type: "radio", name: "subject", value: s.id, checked: s.id === state.subject,
        onchange: () => { state.subject = s.id; renderSubjects(); } }),
      ` ${s.label} `, el("span", { class: "muted", "data-enrolled": s.enrolled ? "yes" : "no",
        text: `${s.enrolled ? t("enrolled") : t("not enrolled")} · ${s.confirmed} ${t("confirmed")}${s.face_consent ? " · " + t("face consent") : ""}` }))));
    const current = c.subjects.find((s) => s.id === state.subject);
    document.getElementById("enrol-subject").textContent = current ? `${t("subject")} ${current.label}` : t("(add a subject first)");
    document.getElementById("photo-submit").disabled = !current || !current.face_consent;
    document.getElementById("subject-unmask").hidden = !current || c.status === "pending";
    document.getElementById("subject-withdraw").hidden = !current || !current.face_consent;
  }

  // Consent withdrawn: the subject's face vectors are deleted; tracing goes on by silhouette.
  document.getElementById("subject-withdraw").addEventListener("click", async (e) => {
    const current = state.case.subjects.find((s) => s.id === state.subject);
    if (!current || !window.confirm(`${current.label}: ${t("withdraw face-matching consent? Their face data is deleted; this cannot be undone.")}`)) return;
    await guarded(e.target, async () => {
      await api("POST", `${base}/subjects/${current.id}/consent-withdrawal`);
      toast(`${current.label}: ${t("face consent withdrawn: traced by silhouette and clothing only")}`);
      await loadCase();
    });
  });

  document.getElementById("new-subject").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("subject-add"), async () => {
      const s = await api("POST", `${base}/subjects`, {
        label: document.getElementById("subject-label").value,
        face_consent: document.getElementById("subject-consent").checked,
      });
      state.subject = s.id;
      document.getElementById("subject-label").value = "";
      toast(`${s.label}: ${t("subject added")}`);
      await loadCase();
    });
  });

  document.getElementById("close-case").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("close-submit"), async () => {
      await api("POST", `${base}/close`, { outcome: document.getElementById("close-outcome").value });
      toast(t("case closed"));
      await loadCase();
    });
  });

  // ----- enrolment: a person in the footage (footage.js), or a face in a photo ------------------
  async function enrolTrack(trackId) {
    if (!state.subject) { toast(t("add a subject first"), true); return; }
    await guarded(null, async () => {
      await api("POST", `${base}/subjects/${state.subject}/enrol/track`, { track_id: trackId });
      document.querySelectorAll("#picker rect.box").forEach((r) => r.classList.toggle("picked", Number(r.dataset.track) === trackId));
      toast(`#${trackId}: ${t("sighting enrolled: now search")}`);
      await loadCase();
    });
  }
  ETFootage.init(base, enrolTrack);

  // A chosen photo: its faces (nothing stored), drawn over it to click the subject's.
  document.getElementById("photo-file").addEventListener("change", (e) => guarded(null, async () => {
    const box = document.getElementById("photo-faces");
    box.replaceChildren();
    state.face = null;
    const file = e.target.files[0];
    if (!file || !state.subject) return;
    const data = new FormData();
    data.append("file", file);
    const out = await api("POST", `${base}/subjects/${state.subject}/enrol/photo/faces`, data);
    if (!out.faces.length) { box.append(el("p", { class: "error", text: t("no face found in this photo") })); return; }
    if (state.photo) URL.revokeObjectURL(state.photo);
    state.photo = URL.createObjectURL(file);
    state.face = out.faces.length === 1 ? 0 : null;
    const svg = ETSvg.faces(out, (i) => { state.face = i; toast(`${t("face chosen")}: ${i + 1}`); });
    const wrap = el("div", { class: "frame" }, el("img", { src: state.photo, alt: "photo" }), svg);
    wrap.style.aspectRatio = `${out.width} / ${out.height}`;
    box.append(el("p", { class: "muted", text: `${out.faces.length} ${t("faces found")}. ${t("Click the face to enrol.")}` }), wrap);
  }));

  document.getElementById("photo-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("photo-submit"), async () => {
      const file = document.getElementById("photo-file").files[0];
      if (!file) throw new Error(t("choose a photo"));
      const data = new FormData();
      data.append("file", file);
      const q = state.face === null ? "" : `?face=${state.face}`;
      await api("POST", `${base}/subjects/${state.subject}/enrol/photo${q}`, data);
      toast(t("photo enrolled: now search"));
      await loadCase();
    });
  });

  // ----- candidates (review.js) --------------------------------------------------------------------
  ETReview.init({ base, caseId, after: async () => { await loadCase(); await trajectory(); } });

  // Search by description: clothing colours and height, for a patient who gives no photo. Times
  // are typed in the chosen camera's zone (all cameras: the zone they share, else the browser's).
  function describeZone() {
    const camera = document.getElementById("describe-camera").value;
    const zones = [...new Set(Object.values(state.zones))];
    return camera ? zoneOf(camera) : (zones.length === 1 ? zones[0] : browserZone);
  }
  document.getElementById("describe-camera").addEventListener("change", () => {
    document.getElementById("describe-zone").textContent = zoneLabel(describeZone(), state.case.window_start);
  });
  document.getElementById("describe-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const subject = state.case.subjects.find((s) => s.id === state.subject);
    if (!subject) { toast(t("add a subject first"), true); return; }
    const value = (id) => document.getElementById(id).value;
    const body = { upper: value("describe-upper") || null, lower: value("describe-lower") || null,
      height_m: value("describe-height") ? Number(value("describe-height")) : null,
      tolerance_m: Number(value("describe-tolerance") || 0.1), top: 60,
      cameras: value("describe-camera") ? [value("describe-camera")] : null,
      start: zonedToUtc(value("describe-from"), describeZone()), end: zonedToUtc(value("describe-to"), describeZone()) };
    if (!body.upper && !body.lower && body.height_m === null) { toast(t("describe a colour or a height"), true); return; }
    guarded(document.getElementById("describe-submit"), () => ETReview.describe(subject.id, subject.label, body));
  });

  // ----- trajectory --------------------------------------------------------------------------------
  async function trajectory() {
    const subjects = state.case.subjects.filter((s) => s.confirmed > 0);
    const box = document.getElementById("trajectory");
    if (!subjects.length) return;
    const routes = await Promise.all(subjects.map((s) => api("GET", `${base}/subjects/${s.id}/trajectory`)));
    state.routes = routes;
    const rows = routes.flatMap((r) => r.visits.map((v, i) => { const z = zoneOf(v.camera_id); return el("tr", {},
      el("td", { text: r.label }), el("td", { text: i + 1 }), el("td", { text: v.camera_name }), el("td", { text: v.place }),
      el("td", { text: fmtLocal(v.entry, z) }), el("td", { text: fmtClock(v.exit, z) }),
      el("td", {}, ...v.thumbnail_urls.slice(0, 3).map((u) => el("img", { src: `${u}?v=${state.imageVersion || 0}`, class: "thumb", alt: "subject sighting" }))),
      el("td", {}, el("button", { type: "button", class: "small play", "data-track": v.track_ids[0], text: `▶ ${t("Play")}`,
        onclick: () => play(v.track_ids[0], `${r.label} · ${v.camera_name} ${fmtLocal(v.entry, z)}`) }))); }));
    box.replaceChildren(
      el("div", { class: "cols" },
        el("div", { class: "grow" }, el("h3", { text: t("Timeline") }), ETSvg.timeline(routes, zoneOf(routes[0]?.visits[0]?.camera_id), state.contacts || [])),
        el("div", { class: "side wide" }, el("h3", { text: t("Route over the cameras") }), ETSvg.route(state.case.cameras, routes))),
      el("table", { class: "list", id: "visits-table" },
        el("thead", {}, el("tr", {}, ...[t("Subject"), "#", t("Camera"), t("Place"), t("Entry"), t("Exit"), t("Sightings"), ""].map((h) => el("th", { text: h })))),
        el("tbody", {}, ...rows)));
  }

  // ----- contacts ----------------------------------------------------------------------------------
  const maskLabel = (m) => ({ mask: t("mask"), no_mask: t("no mask"), unknown: t("unknown") }[m] || m);
  // The rule's reason in the page's language: its English template translated, then its values put in.
  const riskReason = (c) => (c.risk_reason_template
    ? t(c.risk_reason_template).replace(/\{(\w+)\}/g, (m, k) => (k in c.risk_reason_params ? c.risk_reason_params[k] : m))
    : c.risk_reason);
  function contactRow(c) {
    const z = c.time_zone;
    const closest = c.min_distance_m === null ? t("co-presence")
      : `${c.min_distance_m.toFixed(2)} m${c.distance_uncertainty_m !== null ? ` ± ${c.distance_uncertainty_m.toFixed(2)}` : ""}`;
    return el("tr", { "data-track": c.contact_track_id, "data-person": c.person_label, class: `risk-${c.risk}` },
      el("td", {}, el("img", { src: `${c.thumbnail_url}?state=${c.unmasked ? "unmasked" : "masked"}`, class: "thumb", alt: c.unmasked ? "contact (unmasked)" : "contact (redacted)" })),
      el("td", { class: "nowrap", text: `${c.subject_label}${c.order === 2 ? ` (${t("2nd order")})` : ""}` }),
      el("td", {}, el("strong", { class: "person", text: c.person_label }), ` #${c.contact_track_id}`,
        c.via ? el("div", { class: "muted", text: `${t("via")} ${c.via}` }) : null),
      el("td", { title: c.place, text: c.camera_name || c.camera_id }),
      el("td", { class: "when", text: fmtLocal(c.first_seen, z) }),
      el("td", { class: "when", title: fmtLocal(c.last_seen, z), text: fmtDate(c.first_seen, z) === fmtDate(c.last_seen, z)
        ? fmtClock(c.last_seen, z) : fmtLocal(c.last_seen, z) }),
      // this sighting's exposure; the person's over all their sightings only where it says more
      el("td", { class: "nowrap", text: fmtDuration(c.exposure_s) },
        Math.round(c.person_exposure_s) > Math.round(c.exposure_s)
          ? el("div", { class: "muted", text: `${t("all sightings")}: ${fmtDuration(c.person_exposure_s)}` }) : null),
      el("td", { class: "nowrap", text: closest }),
      el("td", { text: `${maskLabel(c.subject_mask)} / ${maskLabel(c.contact_mask)}` }),
      el("td", {}, el("span", { class: `tag ${c.risk}`, text: t(c.risk) }), el("div", { class: "muted reason", text: riskReason(c) })),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "small play", text: `▶ ${t("Play")}`,
          onclick: () => play(c.contact_track_id, `${c.person_label} · ${c.camera_name || c.camera_id} ${fmtLocal(c.first_seen, z)}`) }),
        c.unmasked ? el("span", { class: "muted", text: t("unmasked") }) : el("button", {
          type: "button", class: "small", text: t("Unmask…"), onclick: () => unmask(c.contact_track_id) })));
  }

  async function contacts() {
    const status = document.getElementById("contacts-status");
    status.textContent = t("computing…");
    const q = new URLSearchParams({ policy: document.getElementById("contacts-policy").value,
      second_order: document.getElementById("contacts-second").checked });
    const out = await api("GET", `${base}/contacts?${q}`);
    const table = document.getElementById("contacts-table");
    table.hidden = false;
    table.querySelector("tbody").replaceChildren(...out.data.map(contactRow));
    const p = out.policy;
    table.hidden = out.count === 0;
    state.contacts = out.data.filter((c) => c.order === 1); // the timeline marks when the subjects met them
    const drawn = document.querySelector("#trajectory svg.timeline");
    if (drawn && state.routes) drawn.replaceWith(ETSvg.timeline(state.routes, zoneOf(state.routes[0]?.visits[0]?.camera_id), state.contacts));
    status.textContent = `${out.count} ${t("contact sighting(s) under")} ${p.name.toUpperCase()}: ${p.distance_m} m, ${p.min_cumulative_s / 60} ${t("min in")} ${p.window_h} ${t("h")}`
      + (out.count === 0 ? ` · ${t("nobody came that close to a confirmed sighting: confirm more sightings, or try another policy")}` : "");
  }

  async function unmask(trackId) {
    const reason = window.prompt(t("Why must this contact be identified? (recorded in the audit log)"));
    if (!reason) return;
    await guarded(null, async () => {
      await api("POST", `${base}/contacts/${trackId}/unmask`, { reason });
      toast(`#${trackId}: ${t("contact unmasked")}`);
      await contacts();
    });
  }

  document.getElementById("contacts-load").addEventListener("click", (e) => guarded(e.target, contacts));

  document.getElementById("subject-unmask").addEventListener("click", async (e) => {
    if (!state.subject) return;
    const reason = window.prompt(t("Why must you see this subject's face? (recorded in the audit log; only the subject is shown)"));
    if (!reason) return;
    await guarded(e.target, async () => {
      const out = await api("POST", `${base}/subjects/${state.subject}/unmask`, { reason });
      toast(out.detail);
      state.imageVersion = Date.now();
      await trajectory();
    });
  });

  loadCase().then(() => (state.case.status === "pending" ? null : trajectory())).catch((x) => toast(x.message, true));
});
