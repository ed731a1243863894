// The case page: subjects, enrolment (click a person in the footage, or a face photo), candidate
// sightings with confirm/reject, the trajectory (timeline and route) and the contact list.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, toast, fmtTime, fmtDuration, guarded } = ET;
  const caseId = document.getElementById("case").dataset.caseId;
  const base = `/api/cases/${caseId}`;
  const state = { case: null, subject: null, frame: null, candidates: [] };

  // ----- case and subjects -------------------------------------------------------------------
  async function loadCase() {
    state.case = await api("GET", base);
    const c = state.case;
    document.getElementById("case-heading").textContent = `Case ${c.id}${c.title ? " · " + c.title : ""}`;
    const facts = [["Legal basis", c.legal_basis], ["Window (UTC)", `${fmtTime(c.window_start)} → ${fmtTime(c.window_end)}`],
      ["Cameras", c.camera_scope ? c.camera_scope.join(", ") : "all"], ["Status", c.status], ["Opened by", c.created_by]];
    document.getElementById("case-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    const pending = c.status === "pending";
    document.getElementById("case-pending").hidden = !pending;
    for (const id of ["search", "picker-camera"]) { const b = document.getElementById(id); if (b) b.disabled = pending || c.status === "closed"; }
    if (pending) { renderSubjects(); return; }
    if (!state.subject || !c.subjects.some((s) => s.id === state.subject)) state.subject = c.subjects[0]?.id ?? null;
    renderSubjects();
    const select = document.getElementById("picker-camera");
    if (!select.options.length) {
      select.replaceChildren(...c.cameras.map((cam) => el("option", { value: cam.id, text: cam.name })));
      if (c.cameras.length) loadFrame(null);
    }
  }

  function renderSubjects() {
    const c = state.case;
    document.getElementById("subjects").replaceChildren(...c.subjects.map((s) => el("label",
      { class: `chip${s.id === state.subject ? " active" : ""}`, "data-subject": s.id },
      el("input", { type: "radio", name: "subject", value: s.id, checked: s.id === state.subject,
        onchange: () => { state.subject = s.id; renderSubjects(); } }),
      ` ${s.label} `, el("span", { class: "muted", text: `${s.enrolled ? "enrolled" : "not enrolled"} · ${s.confirmed} confirmed${s.face_consent ? " · face consent" : ""}` }))));
    const current = c.subjects.find((s) => s.id === state.subject);
    document.getElementById("enrol-subject").textContent = current ? `subject ${current.label}` : "(add a subject first)";
    document.getElementById("photo-submit").disabled = !current || !current.face_consent;
  }

  document.getElementById("new-subject").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("subject-add"), async () => {
      const s = await api("POST", `${base}/subjects`, {
        label: document.getElementById("subject-label").value,
        face_consent: document.getElementById("subject-consent").checked,
      });
      state.subject = s.id;
      document.getElementById("subject-label").value = "";
      toast(`subject ${s.label} added`);
      await loadCase();
    });
  });

  // ----- enrolment: the frame picker and the photo ---------------------------------------------
  async function loadFrame(at) {
    const camera = document.getElementById("picker-camera").value;
    const q = new URLSearchParams({ camera_id: camera });
    if (at) q.set("at", at);
    const box = document.getElementById("picker");
    try {
      const f = await api("GET", `${base}/frame?${q}`);
      state.frame = f;
      const img = el("img", { src: f.image_url, alt: `camera ${f.camera_id} at ${fmtTime(f.time)}`, id: "picker-image" });
      const wrap = el("div", { class: "frame" }, img, ETSvg.boxes(f, enrolTrack));
      wrap.style.aspectRatio = `${f.width} / ${f.height}`; // CSSOM, allowed by the CSP (inline styles are not)
      box.replaceChildren(wrap);
      document.getElementById("picker-when").textContent = `${fmtTime(f.time)} · ${f.boxes.length} people`;
      const t0 = Date.parse(f.span_start), t1 = Date.parse(f.span_end);
      if (t1 > t0) document.getElementById("picker-time").value = Math.round(((Date.parse(f.time) - t0) / (t1 - t0)) * 1000);
    } catch (x) {
      box.replaceChildren(el("p", { class: "muted", text: x.message }));
    }
  }

  async function enrolTrack(trackId) {
    if (!state.subject) { toast("add a subject first", true); return; }
    await guarded(null, async () => {
      await api("POST", `${base}/subjects/${state.subject}/enrol/track`, { track_id: trackId });
      document.querySelectorAll("#picker rect.box").forEach((r) => r.classList.toggle("picked", Number(r.dataset.track) === trackId));
      toast(`sighting ${trackId} enrolled: now search`);
      await loadCase();
    });
  }

  document.getElementById("picker-camera").addEventListener("change", () => loadFrame(null));
  document.getElementById("picker-busiest").addEventListener("click", () => loadFrame(null));
  document.getElementById("picker-time").addEventListener("change", (e) => {
    const f = state.frame;
    if (!f) return;
    const t0 = Date.parse(f.span_start), t1 = Date.parse(f.span_end);
    loadFrame(new Date(t0 + ((t1 - t0) * Number(e.target.value)) / 1000).toISOString());
  });

  document.getElementById("photo-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("photo-submit"), async () => {
      const file = document.getElementById("photo-file").files[0];
      if (!file) throw new Error("choose a photo");
      const data = new FormData();
      data.append("file", file);
      await api("POST", `${base}/subjects/${state.subject}/enrol/photo`, data);
      toast("photo enrolled: now search");
      await loadCase();
    });
  });

  // ----- candidates ------------------------------------------------------------------------------
  async function search() {
    const status = document.getElementById("search-status");
    status.textContent = "searching…";
    const out = await api("POST", `${base}/search`, { top: 60 });
    const grid = document.getElementById("candidates");
    state.candidates = [];
    grid.replaceChildren(...out.subjects.flatMap((s) => {
      const cards = s.candidates.map((c) => { state.candidates.push({ subject: s.subject_id, ...c }); return card(s, c); });
      const head = el("h3", { class: "span-all", text: `${s.label}: ${s.enrolled ? s.candidates.filter((c) => c.match).length + " match(es) above threshold" : "not enrolled yet"}` });
      return [head, ...cards];
    }));
    const open = state.candidates.filter((c) => c.match && !c.decision).length;
    const btn = document.getElementById("confirm-matches");
    btn.disabled = open === 0;
    btn.textContent = `Confirm all matches (${open})`;
    status.textContent = `${state.candidates.length} candidate(s)`;
  }

  function card(s, c) {
    const decide = (decision) => guarded(null, async () => {
      await api("POST", `${base}/subjects/${s.subject_id}/decisions`, { decision, track_ids: [c.track_id] });
      toast(`sighting ${c.track_id} ${decision}`);
      await refreshAfterDecision();
    });
    return el("figure", { class: `candidate ${c.decision || (c.match ? "match" : "")}`, "data-track": c.track_id, "data-subject": s.subject_id },
      el("img", { src: `${c.thumbnail_url}?state=${c.decision || "open"}`, alt: `sighting ${c.track_id}` }),
      el("figcaption", {},
        el("strong", { text: `#${c.track_id}` }), ` ${c.camera_id}`, el("br"),
        el("span", { class: "muted", text: `${fmtTime(c.start).slice(11)}–${fmtTime(c.end).slice(11)}` }), el("br"),
        el("span", { class: "score", text: `score ${c.score.toFixed(2)}${c.match ? " ✓" : ""}` }),
        c.decision ? el("span", { class: `tag ${c.decision}`, text: c.decision }) : null),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "small confirm", text: "Confirm", disabled: c.decision === "confirmed", onclick: () => decide("confirmed") }),
        el("button", { type: "button", class: "small reject", text: "Reject", disabled: c.decision === "rejected", onclick: () => decide("rejected") })));
  }

  async function refreshAfterDecision() {
    await Promise.all([search(), loadCase()]);
    await trajectory();
  }

  document.getElementById("search").addEventListener("click", (e) => guarded(e.target, search));
  document.getElementById("confirm-matches").addEventListener("click", (e) => guarded(e.target, async () => {
    const bySubject = {};
    for (const c of state.candidates) if (c.match && !c.decision) (bySubject[c.subject] ||= []).push(c.track_id);
    for (const [sid, ids] of Object.entries(bySubject)) {
      await api("POST", `${base}/subjects/${sid}/decisions`, { decision: "confirmed", track_ids: ids });
    }
    toast("matches confirmed");
    await refreshAfterDecision();
  }));

  // ----- trajectory --------------------------------------------------------------------------------
  async function trajectory() {
    const subjects = state.case.subjects.filter((s) => s.confirmed > 0);
    const box = document.getElementById("trajectory");
    if (!subjects.length) return;
    const routes = await Promise.all(subjects.map((s) => api("GET", `${base}/subjects/${s.id}/trajectory`)));
    const rows = routes.flatMap((t) => t.visits.map((v, i) => el("tr", {},
      el("td", { text: t.label }), el("td", { text: i + 1 }), el("td", { text: v.camera_name }), el("td", { text: v.place }),
      el("td", { text: fmtTime(v.entry) }), el("td", { text: fmtTime(v.exit).slice(11) }),
      el("td", {}, ...v.thumbnail_urls.slice(0, 3).map((u) => el("img", { src: `${u}?v=${state.imageVersion || 0}`, class: "thumb", alt: "subject sighting" }))))));
    box.replaceChildren(
      el("div", { class: "cols" },
        el("div", { class: "grow" }, el("h3", { text: "Timeline" }), ETSvg.timeline(routes)),
        el("div", { class: "side wide" }, el("h3", { text: "Route over the cameras" }), ETSvg.route(state.case.cameras, routes))),
      el("table", { class: "list", id: "visits-table" },
        el("thead", {}, el("tr", {}, ...["Subject", "#", "Camera", "Place", "Entry (UTC)", "Exit", "Sightings"].map((h) => el("th", { text: h })))),
        el("tbody", {}, ...rows)));
  }

  // ----- contacts ----------------------------------------------------------------------------------
  async function contacts() {
    const status = document.getElementById("contacts-status");
    status.textContent = "computing…";
    const q = new URLSearchParams({ policy: document.getElementById("contacts-policy").value,
      second_order: document.getElementById("contacts-second").checked });
    const out = await api("GET", `${base}/contacts?${q}`);
    const table = document.getElementById("contacts-table");
    table.hidden = false;
    table.querySelector("tbody").replaceChildren(...out.data.map((c) => el("tr", { "data-track": c.contact_track_id, class: `risk-${c.risk}` },
      el("td", {}, el("img", { src: `${c.thumbnail_url}?state=${c.unmasked ? "unmasked" : "masked"}`, class: "thumb", alt: c.unmasked ? "contact (unmasked)" : "contact (redacted)" })),
      el("td", { text: `${c.subject_label}${c.order === 2 ? " (2nd order)" : ""}` }),
      el("td", { text: `P${c.person_id} · #${c.contact_track_id}` }), el("td", { text: c.camera_id }),
      el("td", { text: `${fmtDuration(c.exposure_s)} (person ${fmtDuration(c.person_exposure_s)})` }),
      el("td", { text: c.min_distance_m === null ? "co-presence" : `${c.min_distance_m.toFixed(2)} m` }),
      el("td", { text: `${c.subject_mask} / ${c.contact_mask}` }),
      el("td", {}, el("span", { class: `tag ${c.risk}`, text: c.risk })),
      el("td", {}, c.unmasked ? el("span", { class: "muted", text: "unmasked" }) : el("button", {
        type: "button", class: "small", text: "Unmask…", onclick: () => unmask(c.contact_track_id) })))));
    const p = out.policy;
    status.textContent = `${out.count} contact sighting(s) under ${p.name}: ${p.distance_m} m, ${p.min_cumulative_s / 60} min in ${p.window_h} h`;
  }

  async function unmask(trackId) {
    const reason = window.prompt("Why must this contact be identified? (recorded in the audit log)");
    if (!reason) return;
    await guarded(null, async () => {
      await api("POST", `${base}/contacts/${trackId}/unmask`, { reason });
      toast(`contact ${trackId} unmasked`);
      await contacts();
    });
  }

  document.getElementById("contacts-load").addEventListener("click", (e) => guarded(e.target, contacts));

  document.getElementById("subject-unmask").addEventListener("click", async (e) => {
    if (!state.subject) return;
    const reason = window.prompt("Why must you see this subject's face? (recorded in the audit log; only the subject is shown)");
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
