"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { api, el, toast, fmtTime, utcValue, guarded } = ET;
  const body = document.querySelector("#cases-table tbody");

  async function load() {
    const cases = await api("GET", "/api/cases");
    body.replaceChildren(...cases.data.map((c) => el("tr", {},
      el("td", {}, el("a", { href: `/cases/${c.id}`, class: "case-link", text: c.id })),
      el("td", { text: c.title }), el("td", { text: c.status }),
      el("td", { text: `${fmtTime(c.window_start)} → ${fmtTime(c.window_end)}` }),
      el("td", { text: c.legal_basis }))));
    document.getElementById("cases-empty").hidden = cases.count > 0;
  }

  async function cameras() {
    const box = document.getElementById("case-cameras");
    const cams = await api("GET", "/api/cameras");
    box.replaceChildren(...cams.data.map((c) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: c.id, name: "camera" }), ` ${c.name} (${c.id})`)));
  }

  document.getElementById("new-case").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(document.getElementById("case-create"), async () => {
      const ticked = [...document.querySelectorAll('#case-cameras input:checked')].map((i) => i.value);
      const made = await api("POST", "/api/cases", {
        title: document.getElementById("case-title").value,
        legal_basis: document.getElementById("case-basis").value,
        onset: utcValue(document.getElementById("case-onset").value),
        isolation: utcValue(document.getElementById("case-isolation").value),
        cameras: ticked.length ? ticked : null,
      });
      toast(`case ${made.id} opened`);
      location.href = `/cases/${made.id}`;
    });
  });

  try { await Promise.all([load(), cameras()]); } catch (x) { toast(x.message, true); }
});
