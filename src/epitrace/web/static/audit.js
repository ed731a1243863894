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
    document.querySelector("#audit-table tbody").replaceChildren(...rows.data.reverse().map((e) => el("tr", { "data-action": e.action },
      el("td", { text: e.id }), el("td", { class: "when", text: fmtLocal(e.time) }), el("td", { text: e.user }),
      // the action in the reader's words (English: its code, as `epitrace audit show` prints it)
      el("td", {}, el("span", { class: `tag ${e.action}`, title: e.action, text: t(e.action) })),
      el("td", { class: "nowrap", text: e.case_id || "" }),
      el("td", { text: e.legal_basis || "" }), el("td", { class: "detail", title: JSON.stringify(e.detail), text: details(e.detail) }))));
    document.getElementById("audit-empty").hidden = rows.data.length > 0;
    document.getElementById("audit-table").dataset.query = q.toString(); // what the rows answer (tests wait on it)
  }

  // {"what": "contacts", "policy": "cdc"} -> "what: contacts · policy: cdc" (lists and objects as JSON)
  const details = (d) => Object.entries(d || {}).map(([k, v]) =>
    `${k}: ${v !== null && typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");

  document.getElementById("audit-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch((x) => toast(x.message, true));
  });
  document.getElementById("audit-verify").addEventListener("click", async () => {
    const out = document.getElementById("audit-verdict");
    try {
      const r = await api("GET", "/api/audit/verify");
      out.textContent = r.ok ? `${t("intact")}: ${r.checked} ${t("entries checked")}, ${t("head")} ${r.head_hash.slice(0, 16)}…`
        : `${t("TAMPERED at entry")} ${r.first_bad_id}: ${r.reason}`;
      out.className = r.ok ? "ok" : "error";
    } catch (x) { toast(x.message, true); }
  });
  load().catch((x) => toast(x.message, true));
});
