"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = document.getElementById("login-error");
    err.textContent = "";
    try {
      const out = await ET.api("POST", "/api/auth/login", {
        name: document.getElementById("login-name").value,
        password: document.getElementById("login-password").value,
      });
      // back where the user was sent from (a path on this site only), else their home page
      const next = new URLSearchParams(location.search).get("next") || "";
      const local = next.startsWith("/") && !next.startsWith("//") && !/[\\\s\x00-\x1f]/.test(next) && !next.startsWith("/login");
      location.href = local ? next : (out.user.role === "auditor" ? "/audit" : "/");
    } catch (x) {
      err.textContent = x.message;
    }
  });
});
