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
      location.href = out.user.role === "auditor" ? "/audit" : "/";
    } catch (x) {
      err.textContent = x.message;
    }
  });
});
