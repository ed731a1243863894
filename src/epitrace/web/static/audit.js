"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { api, el, toast, fmtLocal, t } = ET;

  async function load() {
    const q = new URLSearchParams({ limit: document.getElementById("audit-limit").value });
    const c = document.getElementById("audit-case").value.trim();
    const u = document.getElementById("audit-user").value.trim();
    if (c) q.set("case_id", c);
    if (u) q.set("user", u);
    const rows = await api("GET", `/api/audit?${q}`);
    document.querySelector("#audit-table tbody").replaceChildren(...rows.data.reverse().map((e) => el("tr", {},
      el("td", { text: e.id }), el("td", { text: fmtLocal(e.time) }), el("td", { text: e.user }),
      el("td", {}, el("span", { class: `tag ${e.action}`, text: e.action })), el("td", { text: e.case_id || "" }),
      el("td", { text: e.legal_basis || "" }), el("td", { class: "detail", text: JSON.stringify(e.detail) }))));
  }

  document.getElementById("audit-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch((x) => toast(x.message, true));
  });
  document.getElementById("audit-verify").addEventListener("click", async () => {
    const out = document.getElementById("audit-verdict");
    try {
      const r = await api("GET", "/api/audit/verify");
      out.textContent = r.ok ? `intact: ${r.checked} entries, head ${r.head_hash.slice(0, 16)}…`
        : `TAMPERED at entry ${r.first_bad_id}: ${r.reason}`;
      out.className = r.ok ? "ok" : "error";
    } catch (x) { toast(x.message, true); }
  });
  load().catch((x) => toast(x.message, true));
});
