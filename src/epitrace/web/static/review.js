// Candidate review: large crops with the date and local time, multi-select, keyboard shortcuts
// (documented on the page), undo of the last decision, and cards that stay where they are after
// a decision (they change in place; only a new search reorders them).
"use strict";

const ETReview = (() => {
  const { api, el, t, words, toast, guarded, fmtDate, fmtClock, fmtLocal } = ET;
  const my = { base: "", caseId: "", zones: {}, items: [], focus: 0, selected: new Set(), history: [], after: null };
  const $ = (id) => document.getElementById(id);
  const key = (it) => `${it.subject}:${it.c.track_id}`;
  const zoneOf = (it) => my.zones[it.c.camera_id] || "UTC";

  function card(it) {
    const c = it.c;
    const z = zoneOf(it);
    const k = key(it);
    const state = c.decision || (c.match ? "match" : "");
    return el("figure", { class: `candidate ${state}${my.selected.has(k) ? " selected" : ""}${my.items[my.focus] === it ? " focused" : ""}`,
      "data-track": c.track_id, "data-subject": it.subject, "data-key": k, tabindex: "-1",
      onclick: (e) => { if (e.target.tagName !== "BUTTON" && e.target.tagName !== "INPUT") setFocus(my.items.indexOf(it)); } },
      el("label", { class: "pick" }, el("input", { type: "checkbox", class: "select", checked: my.selected.has(k),
        "aria-label": t("selected"), onchange: () => toggle(it) })),
      el("img", { src: `${c.thumbnail_url}?state=${c.decision || "open"}`, alt: `#${c.track_id}`, loading: "lazy" }),
      el("figcaption", {},
        el("strong", { text: `#${c.track_id}` }), ` ${c.camera_id}`, el("br"),
        el("span", { class: "when", text: `${fmtDate(c.start, z)} ${fmtClock(c.start, z)}–${fmtClock(c.end, z)}`,
          title: `${fmtLocal(c.start, z)} → ${fmtLocal(c.end, z)}` }), " ",
        el("span", { class: "muted zone", text: fmtLocal(c.start, z).split(" ").slice(2).join(" ") }), el("br"),
        el("span", { class: "score", text: `${t("score")} ${c.score.toFixed(2)}${c.match ? " ✓" : ""}` }),
        c.decision ? el("span", { class: `tag ${c.decision}`, text: t(c.decision) }) : null,
        !c.decision && !c.match && c.face_band === "review"  // the face alone is not sure enough: say so, and why
          ? el("span", { class: "tag possible", text: t("possible"), title: words(c.face_reason_phrases, c.face_reason) }) : null,
        c.matched && c.matched.length  // a description search: which described attributes this sighting has
          ? el("span", { class: "tag matched", text: `${t("matched")}: ${c.matched.map((m) => t(m)).join(", ")}` }) : null,
        c.explanation ? el("div", { class: "muted explanation", text: words(c.explanation_phrases, c.explanation) }) : null,
        c.face_reason ? el("div", { class: "muted reason face-reason", text: words(c.face_reason_phrases, c.face_reason) }) : null),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "small confirm", text: t("Confirm"), disabled: c.decision === "confirmed",
          onclick: () => decide([it], "confirmed") }),
        el("button", { type: "button", class: "small reject", text: t("Reject"), disabled: c.decision === "rejected",
          onclick: () => decide([it], "rejected") }),
        el("button", { type: "button", class: "small play", text: `▶ ${t("Play")}`,
          onclick: () => ETPlayer.play(my.caseId, c.track_id, `${c.camera_id} ${fmtLocal(c.start, z)}`) })));
  }

  function redraw(it) {
    const old = document.querySelector(`#candidates figure[data-key="${key(it)}"]`);
    if (old) old.replaceWith(card(it));
  }

  function toolbar() {
    const open = my.items.filter((it) => it.c.match && !it.c.decision).length;
    const btn = $("confirm-matches");
    btn.disabled = open === 0;
    btn.textContent = `${t("Confirm all matches")} (${open})`;
    $("confirm-selected").disabled = $("reject-selected").disabled = my.selected.size === 0;
    $("undo").disabled = my.history.length === 0;
  }

  function toggle(it) {
    const k = key(it);
    if (my.selected.has(k)) my.selected.delete(k); else my.selected.add(k);
    redraw(it);
    toolbar();
  }

  function setFocus(i) {
    if (!my.items.length) return;
    const before = my.items[my.focus];
    my.focus = Math.max(0, Math.min(my.items.length - 1, i));
    if (before) redraw(before);
    redraw(my.items[my.focus]);
    document.querySelector(`#candidates figure[data-key="${key(my.items[my.focus])}"]`)?.scrollIntoView({ block: "nearest" });
  }

  const bySubject = (items) => items.reduce((acc, it) => { (acc[it.subject] ||= []).push(it); return acc; }, {});

  async function post(items, decision) {
    for (const [sid, group] of Object.entries(bySubject(items))) {
      await api("POST", `${my.base}/subjects/${sid}/decisions`, { decision, track_ids: group.map((it) => it.c.track_id) });
    }
  }

  async function decide(items, decision) {
    const todo = items.filter((it) => it.c.decision !== decision);
    if (!todo.length) return;
    await guarded(null, async () => {
      const before = todo.map((it) => ({ it, prev: it.c.decision || null }));
      await post(todo, decision);
      for (const it of todo) { it.c.decision = decision; my.selected.delete(key(it)); redraw(it); }
      my.history.push(before);
      toolbar();
      toast(`${todo.length} × ${t(decision)}`);
      if (my.after) await my.after();
    });
  }

  async function undo() {
    const last = my.history.pop();
    if (!last) { toast(t("nothing to undo")); return; }
    await guarded(null, async () => {
      for (const [sid, group] of Object.entries(bySubject(last.map((b) => b.it)))) {
        await api("POST", `${my.base}/subjects/${sid}/decisions/undo`, { track_ids: group.map((it) => it.c.track_id) });
      }
      for (const prev of ["confirmed", "rejected"]) {
        const again = last.filter((b) => b.prev === prev).map((b) => b.it);
        if (again.length) await post(again, prev);
      }
      for (const b of last) { b.it.c.decision = b.prev; redraw(b.it); }
      toolbar();
      toast(t("decision undone"));
      if (my.after) await my.after();
    });
  }

  async function search() {
    const status = $("search-status");
    status.textContent = t("searching…");
    const out = await api("POST", `${my.base}/search`, { top: 60 });
    my.items = [];
    my.selected.clear();
    my.focus = 0;
    const nodes = out.subjects.flatMap((s) => {
      const items = s.candidates.map((c) => ({ subject: s.subject_id, c }));
      my.items.push(...items);
      const head = el("h3", { class: "span-all", text: `${s.label}: ${s.enrolled
        ? s.candidates.filter((c) => c.match).length + " " + t("match(es) above threshold")
        : t("not enrolled yet: click them in the footage above, upload a face photo or describe them")}` });
      return [head, ...items.map(card)];
    });
    $("candidates").replaceChildren(...nodes);
    toolbar();
    status.textContent = `${my.items.length} ${t("candidate(s)")}`;
  }

  // Search by description (a patient with no photo): the candidates, for the chosen subject.
  async function describe(subject, label, body) {
    const status = $("search-status");
    status.textContent = t("searching…");
    const out = await api("POST", `${my.base}/describe`, body);
    my.items = out.candidates.map((c) => ({ subject, c }));
    my.selected.clear();
    my.focus = 0;
    const head = el("h3", { class: "span-all", text: `${label}: ${t("described as")} ${describedAs(body)}` });
    $("candidates").replaceChildren(head, ...my.items.map(card));
    toolbar();
    status.textContent = `${my.items.length} ${t("candidate(s)")}`;
  }

  const describedAs = (b) => [b.upper ? words([{ template: "{colour} upper", params: { colour: b.upper } }]) : null,
    b.lower ? words([{ template: "{colour} lower", params: { colour: b.lower } }]) : null,
    b.height_m ? words([{ template: "{height} m +- {spread}", params: { height: b.height_m.toFixed(2), spread: b.tolerance_m.toFixed(2) } }]) : null]
    .filter(Boolean).join(", ");

  function onKey(e) {
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.getElementById("player")?.open || !my.items.length) return;
    const it = my.items[my.focus];
    const chosen = () => my.items.filter((x) => my.selected.has(key(x)));
    const k = e.key.toLowerCase();
    if (e.key === "ArrowRight" || k === "j") setFocus(my.focus + 1);
    else if (e.key === "ArrowLeft" || k === "k") setFocus(my.focus - 1);
    else if (k === "x" || e.key === " ") toggle(it);
    else if (k === "c") decide(e.shiftKey ? chosen() : [it], "confirmed");
    else if (k === "r") decide(e.shiftKey ? chosen() : [it], "rejected");
    else if (k === "u") undo();
    else if (k === "p") ETPlayer.play(my.caseId, it.c.track_id, `${it.c.camera_id} ${fmtLocal(it.c.start, zoneOf(it))}`);
    else return;
    e.preventDefault();
  }

  function init({ base, caseId, after }) {
    Object.assign(my, { base, caseId, after });
    $("search").addEventListener("click", (e) => guarded(e.target, search));
    $("confirm-matches").addEventListener("click", () => decide(my.items.filter((it) => it.c.match && !it.c.decision), "confirmed"));
    $("confirm-selected").addEventListener("click", () => decide(my.items.filter((it) => my.selected.has(key(it))), "confirmed"));
    $("reject-selected").addEventListener("click", () => decide(my.items.filter((it) => my.selected.has(key(it))), "rejected"));
    $("undo").addEventListener("click", undo);
    document.addEventListener("keydown", onKey);
  }

  return { init, search, describe, setZones: (z) => { my.zones = z; } };
})();
