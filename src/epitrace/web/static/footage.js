// Finding the patient in the footage: a camera's recorded spans (GET .../footage), a slider that
// runs over recorded time only (gaps skipped), a date/time jump in the camera's own zone, and the
// analysed frame nearest the chosen moment with every person box on it to click.
"use strict";

const ETFootage = (() => {
  const { api, el, t, fmtLocal, fmtClock, fmtDate, fmtDuration, zoneLabel, inputValue, zonedToUtc } = ET;
  const my = { base: "", onPick: null, spans: [], zone: "UTC", frame: null };
  const $ = (id) => document.getElementById(id);
  const total = () => my.spans.reduce((a, s) => a + (s.t1 - s.t0), 0);

  // Slider position (0-1000) <-> time, over the recorded spans laid end to end.
  function posToTime(v) {
    let left = (total() * v) / 1000;
    for (const s of my.spans) {
      if (left <= s.t1 - s.t0) return s.t0 + left;
      left -= s.t1 - s.t0;
    }
    return my.spans.length ? my.spans[my.spans.length - 1].t1 : null;
  }
  function timeToPos(ms) {
    let acc = 0;
    for (const s of my.spans) {
      if (ms <= s.t1) return Math.round((1000 * (acc + Math.max(0, ms - s.t0))) / Math.max(1, total()));
      acc += s.t1 - s.t0;
    }
    return 1000;
  }
  const spanIndex = (ms) => my.spans.findIndex((s) => ms >= s.t0 - 1000 && ms <= s.t1 + 1000);

  function renderSpans() {
    const box = $("picker-spans");
    const now = my.frame ? Date.parse(my.frame.time) : null;
    const items = [];
    my.spans.forEach((s, i) => {
      if (i > 0) items.push(el("span", { class: "gap muted", text: `${t("gap")} ${fmtDuration((s.t0 - my.spans[i - 1].t1) / 1000)}` }));
      const sameDay = fmtDate(s.start, my.zone) === fmtDate(s.end, my.zone);
      items.push(el("button", { type: "button", class: `span small${now !== null && spanIndex(now) === i ? " active" : ""}`,
        "data-span": i, onclick: () => loadFrame(new Date(s.t0).toISOString()),
        text: `${fmtDate(s.start, my.zone)} ${fmtClock(s.start, my.zone)}–${sameDay ? "" : fmtDate(s.end, my.zone) + " "}${fmtClock(s.end, my.zone)}` }));
    });
    box.replaceChildren(el("span", { class: "muted", text: my.spans.length ? `${t("recorded footage")}:` : t("no footage in the window") }), ...items);
  }

  async function loadFrame(at) {
    const camera = $("picker-camera").value;
    const q = new URLSearchParams({ camera_id: camera });
    if (at) q.set("at", at);
    const box = $("picker");
    try {
      const f = await api("GET", `${my.base}/frame?${q}`);
      my.frame = f;
      const img = el("img", { src: f.image_url, alt: `${t("Camera")} ${f.camera_id} ${fmtLocal(f.time, my.zone)}`, id: "picker-image" });
      // the redacted frame takes a moment (every head and face is mosaicked first): say so over the black box
      const wrap = el("div", { class: "frame", "data-state": "loading", "data-loading": t("Preparing the frame (heads mosaicked)…") },
        img, ETSvg.boxes(f, my.onPick));
      img.addEventListener("load", () => { wrap.dataset.state = "ready"; });
      img.addEventListener("error", () => { wrap.dataset.state = "failed"; wrap.dataset.loading = t("The frame could not be shown: try another moment."); });
      wrap.style.aspectRatio = `${f.width} / ${f.height}`; // CSSOM, allowed by the CSP (inline styles are not)
      box.replaceChildren(wrap);
      $("picker-when").textContent = `${fmtLocal(f.time, my.zone)} · ${f.boxes.length} ${t("people")}`;
      $("picker-when").dataset.time = f.time;
      $("picker-time").value = timeToPos(Date.parse(f.time));
      $("picker-jump").value = inputValue(f.time, my.zone);
      renderSpans();
    } catch (x) {
      box.replaceChildren(el("p", { class: "muted", text: x.message }));
    }
  }

  async function loadCamera() {
    const camera = $("picker-camera").value;
    const f = await api("GET", `${my.base}/footage?camera_id=${encodeURIComponent(camera)}`);
    my.zone = f.time_zone;
    my.spans = f.spans.map((s) => ({ t0: Date.parse(s.start), t1: Date.parse(s.end), start: s.start, end: s.end }));
    $("picker-zone").textContent = zoneLabel(my.zone, f.spans[0]?.start);
    renderSpans();
    await loadFrame(null);
  }

  function step(direction) {
    if (!my.frame || !my.spans.length) return;
    const i = spanIndex(Date.parse(my.frame.time));
    const j = Math.min(my.spans.length - 1, Math.max(0, (i < 0 ? 0 : i) + direction));
    loadFrame(new Date(my.spans[j].t0).toISOString());
  }

  function init(base, onPick) {
    my.base = base;
    my.onPick = onPick;
    $("picker-camera").addEventListener("change", loadCamera);
    $("picker-busiest").addEventListener("click", () => loadFrame(null));
    $("picker-time").addEventListener("change", (e) => {
      const ms = posToTime(Number(e.target.value));
      if (ms !== null) loadFrame(new Date(ms).toISOString());
    });
    $("picker-go").addEventListener("click", () => {
      const at = zonedToUtc($("picker-jump").value, my.zone);
      if (at) loadFrame(at);
    });
    $("picker-prev").addEventListener("click", () => step(-1));
    $("picker-next").addEventListener("click", () => step(1));
  }

  return { init, loadCamera, loadFrame, zone: () => my.zone };
})();
