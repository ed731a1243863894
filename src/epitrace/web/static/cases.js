"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { api, el, toast, fmtLocal, zonedToUtc, guarded, t, browserZone, zoneLabel } = ET;
  const body = document.querySelector("#cases-table tbody");

  const me = document.querySelector('meta[name="user"]');
  const myName = me ? me.content : "";
  const myRole = me ? me.dataset.role : "";
  const approver = myRole === "supervisor" || myRole === "admin";

  function approveButton(c) {
    if (!approver || c.status !== "pending" || c.created_by === myName) return el("td", {});
    const button = el("button", { type: "button", class: "approve", "data-case": c.id, text: t("Approve") });
    button.addEventListener("click", () => guarded(button, async () => {
      await api("POST", `/api/cases/${c.id}/approval`);
      toast(`${c.id}: ${t("approved: it can now be searched")}`);
      await load();
    }));
    return el("td", {}, button);
  }

  async function load() {
    document.getElementById("window-zone").textContent = zoneLabel(browserZone);
    document.querySelectorAll(".local-zone").forEach((s) => { s.textContent = zoneLabel(browserZone); });
    const cases = await api("GET", "/api/cases");
    body.replaceChildren(...cases.data.map((c) => el("tr", { "data-case": c.id, "data-status": c.status },
      el("td", { class: "nowrap" }, myRole === "supervisor" ? el("span", { text: c.id })
        : el("a", { href: `/cases/${c.id}`, class: "case-link", text: c.id })),
      el("td", { text: c.title }), el("td", { class: `status ${c.status}`, text: t(c.status) }),
      el("td", { class: "window", title: zoneLabel(browserZone, c.window_start) },  // one line per end, never cut mid-time
        el("span", { class: "nowrap", text: fmtLocal(c.window_start, browserZone, false) }), " → ",
        el("span", { class: "nowrap", text: fmtLocal(c.window_end, browserZone, false) })),
      el("td", { class: c.camera_scope ? "" : "scope-all", text: c.camera_scope ? c.camera_scope.join(", ") : t("ALL cameras") }),
      el("td", { text: c.legal_basis }), el("td", { text: c.created_by }), approveButton(c))));
    document.getElementById("cases-empty").hidden = cases.count > 0;
  }

  async function cameras() {
    const box = document.getElementById("case-cameras");
    const cams = await api("GET", "/api/cameras");
    box.replaceChildren(...cams.data.map((c) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: c.id, name: "camera" }), ` ${c.name} (${c.id})`)));
  }

  document.getElementById("new-case")?.addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("case-create"), async () => {
      const ticked = [...document.querySelectorAll('#case-cameras input:checked')].map((i) => i.value);
      const all = document.getElementById("case-all-cameras").checked;
      const made = await api("POST", "/api/cases", {
        title: document.getElementById("case-title").value,
        legal_basis: document.getElementById("case-basis").value,
        onset: zonedToUtc(document.getElementById("case-onset").value, browserZone),  // typed in local time
        isolation: zonedToUtc(document.getElementById("case-isolation").value, browserZone),
        cameras: all ? "all" : ticked,
      });
      toast(`${made.id}: ${t("opened")}`);
      location.href = `/cases/${made.id}`;
    });
  });

  try { await Promise.all([load(), document.getElementById("new-case") ? cameras() : null]); }
  catch (x) { toast(x.message, true); }
});
