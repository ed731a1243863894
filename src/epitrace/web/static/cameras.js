// Cameras (administrators): the registry, adding a camera, and calibrating one by clicking 4+
// floor points on a (redacted) frame and typing their ground positions; the reprojection error
// is shown before the calibration is saved.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, toast, guarded, t } = ET;
  const $ = (id) => document.getElementById(id);
  const cal = { camera: null, width: 0, height: 0, points: [], residuals: null };

  async function load() {
    const cams = await api("GET", "/api/cameras");
    $("cameras-table").querySelector("tbody").replaceChildren(...cams.data.map((c) => el("tr", { "data-camera": c.id },
      el("td", { text: c.id }), el("td", { text: c.name }), el("td", { text: c.place }), el("td", { text: c.timezone }),
      el("td", { text: c.latitude === null ? "" : `${c.latitude.toFixed(4)}, ${c.longitude.toFixed(4)}` }),
      el("td", { class: "calibration", text: c.calibration }),
      el("td", {}, el("button", { type: "button", class: "small calibrate", text: t("Calibrate"), onclick: () => calibrate(c) })))));
  }

  $("camera-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded($("camera-add"), async () => {
      const num = (id) => ($(id).value === "" ? null : Number($(id).value));
      await api("PUT", "/api/cameras", { id: $("camera-id").value, name: $("camera-name").value, place: $("camera-place").value,
        timezone: $("camera-tz").value, latitude: num("camera-lat"), longitude: num("camera-lon") });
      toast(`${$("camera-id").value}: ${t("camera saved")}`);
      $("camera-form").reset();
      await load();
    });
  });

  // ----- calibration -------------------------------------------------------------------------------
  function drawFrame(img) {
    const wrap = el("div", { class: "frame" }, img, ETSvg.calibration(cal.width, cal.height, cal.points, (u, v) => {
      cal.points.push({ u, v, x: "", y: "" });
      cal.residuals = null;
      redraw();
    }));
    wrap.style.aspectRatio = `${cal.width} / ${cal.height}`;
    $("calibrate-frame").replaceChildren(wrap);
  }

  function redraw() {
    const img = $("calibrate-image");
    if (img) drawFrame(img);
    const input = (p, k, i) => el("input", { type: "number", step: "any", value: p[k], class: `ground-${k}`, "data-point": i,
      "aria-label": `${t(k === "x" ? "Ground x (m)" : "Ground y (m)")} ${i + 1}`,
      oninput: (e) => { p[k] = e.target.value; cal.residuals = null; buttons(); } });
    $("points-table").querySelector("tbody").replaceChildren(...cal.points.map((p, i) => el("tr", { "data-point": i },
      el("td", { text: i + 1 }), el("td", { text: `${Math.round(p.u)}, ${Math.round(p.v)}` }),
      el("td", {}, input(p, "x", i)), el("td", {}, input(p, "y", i)),
      el("td", { class: "residual", text: cal.residuals ? `${cal.residuals[i].toFixed(3)} m` : "" }),
      el("td", {}, el("button", { type: "button", class: "small reject", text: "×", title: t("Remove"),
        onclick: () => { cal.points.splice(i, 1); cal.residuals = null; redraw(); } })))));
    buttons();
  }

  const complete = () => cal.points.length >= 4 && cal.points.every((p) => p.x !== "" && p.y !== "");
  function buttons() {
    $("calibrate-check").disabled = !complete();
    $("calibrate-save").disabled = !complete();
  }
  const pairs = () => ({ image: cal.points.map((p) => [p.u, p.v]), ground: cal.points.map((p) => [Number(p.x), Number(p.y)]) });

  async function calibrate(camera) {
    Object.assign(cal, { camera, points: [], residuals: null });
    $("calibrate-card").hidden = false;
    $("calibrate-camera").textContent = `${camera.name} (${camera.id})`;
    $("calibrate-error").textContent = t("Click 4 or more floor points on the frame.");
    $("calibrate-error").className = "big muted";
    const img = el("img", { id: "calibrate-image", alt: camera.id, src: `/api/cameras/${encodeURIComponent(camera.id)}/calibration-frame?v=${Date.now()}` });
    img.addEventListener("load", () => { cal.width = img.naturalWidth; cal.height = img.naturalHeight; redraw(); });
    img.addEventListener("error", () => $("calibrate-frame").replaceChildren(el("p", { class: "error", text: t("no frame: ingest footage of this camera first") })));
    $("calibrate-frame").replaceChildren(img);
    redraw();
    $("calibrate-card").scrollIntoView({ block: "start" });
  }

  $("calibrate-check").addEventListener("click", (e) => guarded(e.target, async () => {
    const out = await api("POST", "/api/cameras/calibration/check", pairs());
    cal.residuals = out.residuals_m;
    redraw();
    const box = $("calibrate-error");
    box.className = `big ${out.rmse_m < 0.25 ? "ok" : "error"}`;
    box.dataset.rmse = String(out.rmse_m);
    box.textContent = `${t("Reprojection error")}: ${t("RMSE")} ${out.rmse_m.toFixed(3)} m, ${t("max")} ${out.max_m.toFixed(3)} m (${cal.points.length} ${t("points")})`
      + (cal.points.length === 4 ? ` · ${t("With exactly 4 points the fit is exact: add a fifth point to measure the error.")}` : "");
  }));

  $("calibrate-save").addEventListener("click", (e) => guarded(e.target, async () => {
    const c = await api("PUT", `/api/cameras/${encodeURIComponent(cal.camera.id)}/calibration`, pairs());
    toast(`${c.id}: ${t("calibration saved")}`);
    await load();
  }));

  load().catch((x) => toast(x.message, true));
});
