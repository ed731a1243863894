// EpiTrace web app: shared helpers. Every call goes through the REST API with the session
// cookie and the page's CSRF token (X-CSRF-Token) on state changes.
"use strict";

const ET = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(method, url, body) {
    const headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const r = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    if (r.status === 401 && !url.endsWith("/auth/login")) {
      location.href = "/login";
      throw new Error("not logged in");
    }
    const data = (r.headers.get("content-type") || "").includes("json") ? await r.json() : null;
    const detail = (data && data.detail) || `${r.status} ${r.statusText}`;
    if (r.status === 401) throw new Error(lang === "en" ? detail : `${t("Wrong user name or password.")} (${detail})`);
    if (!r.ok) throw new Error(failure(r.status, detail));
    return data;
  }

  // The server explains errors in English; a reader of another language first gets, in their own
  // words, what kind of refusal it is and what to do, then the server's detail.
  const STATUS_WORDS = {
    400: "The request was refused: check what you entered.",
    401: "Your session has ended: log in again.",
    403: "Not allowed for your account: ask an administrator if you need it.",
    404: "Not found: it may have been removed.",
    409: "Not possible under the case's rules.",
    410: "No longer kept (removed by the retention period).",
    413: "Too large for this server.",
    422: "The request was refused: check what you entered.",
    429: "Too many attempts: wait a moment and try again.",
  };
  function failure(status, detail) {
    if (lang === "en") return detail;
    const words = STATUS_WORDS[status] || (status >= 500 ? "Server error: try again, or tell the administrator." : null);
    return words ? `${t(words)} (${detail})` : detail;
  }

  // Upload with progress (fetch cannot report upload progress).
  function upload(url, form, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error(failure(xhr.status, (data && data.detail) || `${xhr.status} ${xhr.statusText}`)));
      };
      xhr.onerror = () => reject(new Error(t("network error during upload")));
      xhr.send(form);
    });
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  let toastTimer = null;
  function toast(message, error = false) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.className = error ? "show error" : "show";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.className = ""; }, error ? 8000 : 4000);
  }

  const fmtTime = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, "") : "");

  // ----- language: the page hands its scripts their messages (English text -> translation) -----
  const strings = JSON.parse(document.getElementById("i18n")?.textContent || "{}");
  const t = (s) => strings[s] || s;
  const lang = document.documentElement.lang || "en";
  // Words the core sends as phrases ({template, params}): each template translated, each value
  // too where it is a word (a colour name; numbers pass through), then joined; `fallback` (the
  // English text) when there are no phrases.
  // The core writes a spread as "+-" (plain text for terminals); a page shows "±".
  const words = (phrases, fallback = "") => (phrases && phrases.length
    ? phrases.map((p) => t(p.template).replace(/\{(\w+)\}/g, (m, k) => (k in p.params ? t(p.params[k]) : m))).join(", ")
    : fallback || "").replace(/ \+- /g, " ± ");

  // ----- local time: the API sends UTC or offsets; people read the camera's (or their) zone -----
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const partsCache = new Map();
  function zoneParts(date, tz) {
    const key = tz;
    if (!partsCache.has(key)) {
      partsCache.set(key, new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric",
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    }
    const p = Object.fromEntries(partsCache.get(key).formatToParts(date).map((x) => [x.type, x.value]));
    return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
  }
  function zoneName(date, tz) {
    const f = new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { timeZone: tz, timeZoneName: "short" });
    return f.formatToParts(date).find((x) => x.type === "timeZoneName")?.value || tz;
  }
  // "2026-12-05 18:00:03 GMT+9" in zone `tz` (default: the browser's).
  function fmtLocal(iso, tz = browserZone, withZone = true) {
    if (!iso) return "";
    const d = new Date(iso);
    const p = zoneParts(d, tz);
    return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}${withZone ? " " + zoneName(d, tz) : ""}`;
  }
  const fmtClock = (iso, tz = browserZone) => { const p = zoneParts(new Date(iso), tz); return `${p.h}:${p.mi}:${p.s}`; };
  const fmtDate = (iso, tz = browserZone) => { const p = zoneParts(new Date(iso), tz); return `${p.y}-${p.mo}-${p.d}`; };
  const zoneLabel = (tz, iso) => { const n = zoneName(iso ? new Date(iso) : new Date(), tz); return n === tz ? tz : `${tz} (${n})`; };
  // <input type=datetime-local> value for a moment, in zone `tz`.
  function inputValue(iso, tz) { const p = zoneParts(new Date(iso), tz); return `${p.y}-${p.mo}-${p.d}T${p.h}:${p.mi}:${p.s}`; }
  // A wall-clock time typed in zone `tz` -> the UTC instant (ISO), DST-safe to the second.
  function zonedToUtc(value, tz) {
    if (!value) return null;
    const [date, time = "00:00:00"] = value.split("T");
    const [y, mo, d] = date.split("-").map(Number);
    const [h, mi, s = 0] = time.split(":").map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const offsetAt = (ms) => { const p = zoneParts(new Date(ms), tz);
      return Date.UTC(+p.y, +p.mo - 1, +p.d, +p.h, +p.mi, +p.s) - ms; };
    let guess = wall - offsetAt(wall);
    guess = wall - offsetAt(guess);
    return new Date(guess).toISOString();
  }
  const fmtDuration = (s) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${Math.round(s)} s`);
  // <input type=datetime-local> value read as UTC.
  const utcValue = (v) => (v ? (v.length === 16 ? `${v}:00Z` : `${v}Z`) : null);

  async function guarded(button, fn) {
    if (button) button.disabled = true;
    try { return await fn(); } catch (e) { toast(e.message, true); return undefined; } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async () => {
      try { await api("POST", "/api/auth/logout"); } finally { location.href = "/login"; }
    });
  });

  return { api, upload, failure, el, toast, fmtTime, fmtDuration, utcValue, guarded, t, words, lang, browserZone, fmtLocal, fmtClock,
    fmtDate, zoneLabel, inputValue, zonedToUtc };
})();
