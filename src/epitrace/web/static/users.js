// Users (administrators): the accounts, adding one with a role, assigning a user to a case, and
// disabling or enabling an account (the users API audits every change).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, toast, guarded, t, fmtLocal } = ET;
  const $ = (id) => document.getElementById(id);
  const me = document.querySelector('meta[name="user"]')?.content || "";

  function action(u) {
    if (u.name === me) return el("td", {});
    const verb = u.disabled ? "enable" : "disable";
    return el("td", {}, el("button", { type: "button", class: `small ${u.disabled ? "confirm" : "reject"} ${verb}`, "data-user": u.name,
      text: t(u.disabled ? "Enable" : "Disable"), onclick: (e) => guarded(e.target, async () => {
        await api("POST", `/api/users/${encodeURIComponent(u.name)}/${verb}`);
        toast(`${u.name}: ${t(u.disabled ? "enabled" : "disabled")}`);
        await load();
      }) }));
  }

  async function load() {
    const users = await api("GET", "/api/users");
    $("users-table").querySelector("tbody").replaceChildren(...users.data.map((u) => el("tr", { "data-user": u.name, "data-disabled": String(u.disabled) },
      el("td", { text: u.name }), el("td", { text: t(u.role) }),
      el("td", {}, el("span", { class: `tag ${u.disabled ? "failed" : "done"}`, text: t(u.disabled ? "disabled" : "active") })),
      el("td", { text: u.created_at ? fmtLocal(u.created_at) : "" }), action(u))));
    $("assign-user").replaceChildren(...users.data.filter((u) => !u.disabled && ["investigator", "supervisor"].includes(u.role))
      .map((u) => el("option", { value: u.name, text: `${u.name} (${t(u.role)})` })));
  }

  async function cases() {
    const out = await api("GET", "/api/cases");
    $("assign-case").replaceChildren(...out.data.map((c) => el("option", { value: c.id, text: `${c.id}${c.title ? " · " + c.title : ""}` })));
  }

  $("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded($("user-add"), async () => {
      await api("POST", "/api/users", { name: $("user-name").value, password: $("user-password").value, role: $("user-role").value });
      toast(`${$("user-name").value}: ${t("user added")}`);
      $("user-form").reset();
      await load();
    });
  });

  $("assign-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded($("assign-submit"), async () => {
      const out = await api("POST", `/api/cases/${encodeURIComponent($("assign-case").value)}/assignments`, { user: $("assign-user").value });
      toast(`${t("assigned")}: ${out.detail}`);
    });
  });

  Promise.all([load(), cases()]).catch((x) => toast(x.message, true));
});
