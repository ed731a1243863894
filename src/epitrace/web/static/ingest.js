"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { api, upload, el, toast, zonedToUtc, zoneLabel } = ET;
  const zones = {};
  const zoneOf = () => zones[document.getElementById("ingest-camera").value] || "UTC";
  const showZone = () => { document.getElementById("ingest-zone").textContent = zoneLabel(zoneOf()); };
  const form = document.getElementById("ingest-form");
  const status = document.getElementById("ingest-status");
  let timer = null;

  async function cameras() {
    const cams = await api("GET", "/api/cameras");
    for (const c of cams.data) zones[c.id] = c.timezone;
    document.getElementById("ingest-camera").replaceChildren(
      ...cams.data.map((c) => el("option", { value: c.id, text: `${c.name} (${c.id})` })));
    showZone();
  }

  function resultText(j) {
    if (j.error) return j.error;
    if (!j.result) return "";
    if (j.result.skipped) return ET.t("already ingested: nothing added");
    return `${j.result.tracks_added} ${ET.t("sightings")}, ${j.result.frames_analysed} ${ET.t("frames")} · ${j.result.wall_seconds} s`;
  }

  async function jobs() {
    const list = await api("GET", "/api/ingest/jobs");
    document.querySelector("#jobs-table tbody").replaceChildren(...list.data.map((j) => el("tr",
      { "data-job": j.id, "data-status": j.status },
      el("td", { text: j.id }), el("td", { text: j.camera_id }), el("td", { text: j.source }),
      el("td", { text: j.created_by }), el("td", {}, el("span", { class: `tag ${j.status}`, text: ET.t(j.status) })),
      el("td", {}, el("progress", { max: 1, value: j.progress }),
        ` ${j.frames_done}${j.frames_total ? " / " + j.frames_total : ""} ${ET.t("frames")}`),
      el("td", { class: "detail", text: resultText(j) }),
      el("td", {}, ["queued", "running"].includes(j.status) ? el("button", {
        type: "button", class: "small", text: ET.t("Cancel"),
        onclick: () => api("POST", `/api/ingest/jobs/${j.id}/cancel`).then(jobs).catch((x) => toast(x.message, true)),
      }) : null))));
    document.getElementById("jobs-empty").hidden = list.data.length > 0;
    const busy = list.data.some((j) => ["queued", "running"].includes(j.status));
    clearTimeout(timer);
    timer = setTimeout(() => jobs().catch(() => {}), busy ? 1000 : 5000);
  }

  async function interrupted() { // videos whose process died mid-ingest: resumed from their safe point
    const list = await api("GET", "/api/ingest/interrupted");
    document.getElementById("interrupted").hidden = !list.count;
    document.querySelector("#interrupted-table tbody").replaceChildren(...list.data.map((v) => el("tr",
      { "data-video": v.video_id }, el("td", { text: `${v.video_id}` }), el("td", { text: v.camera_id }),
      el("td", { text: v.name }), el("td", {}, el("span", { class: `tag ${v.status}`, text: ET.t(v.status) })),
      el("td", {}, el("button", { type: "button", class: "small", text: ET.t("Resume"),
        onclick: () => api("POST", `/api/ingest/videos/${v.video_id}/resume`).then(() => Promise.all([jobs(), interrupted()]))
          .catch((x) => toast(x.message, true)) })))));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = document.getElementById("ingest-submit");
    const file = document.getElementById("ingest-file").files[0];
    const path = document.getElementById("ingest-path")?.value.trim();
    const start = zonedToUtc(document.getElementById("ingest-start").value, zoneOf()); // the camera's clock
    const fps = document.getElementById("ingest-fps").value;
    const maxFrames = document.getElementById("ingest-max").value;
    const camera = document.getElementById("ingest-camera").value;
    button.disabled = true;
    status.textContent = "";
    try {
      if (file) {
        const data = new FormData();
        data.append("file", file);
        data.append("camera_id", camera);
        data.append("start", start);
        if (fps) data.append("fps", fps);
        if (maxFrames) data.append("max_frames", maxFrames);
        const bar = document.getElementById("upload-progress");
        bar.hidden = false;
        status.textContent = ET.t("uploading…");
        await upload("/api/ingest/jobs", data, (p) => { bar.value = p; });
        bar.hidden = true;
      } else if (path) {
        await api("POST", "/api/ingest/jobs/source", {
          source: path, camera_id: camera, start,
          fps: fps ? Number(fps) : null, max_frames: maxFrames ? Number(maxFrames) : null,
        });
      } else {
        throw new Error(ET.t(path !== undefined ? "Choose a video file or give a path on the server." : "Choose a video file."));
      }
      status.textContent = ET.t("job queued");
      await jobs();
    } catch (x) {
      status.textContent = "";
      toast(x.message, true);
    } finally {
      button.disabled = false;
    }
  });

  try { await Promise.all([cameras(), jobs(), interrupted()]); } catch (x) { toast(x.message, true); }
  // No default start time: footage is recorded before it is ingested, so "now" would be wrong.
  document.getElementById("ingest-camera").addEventListener("change", showZone);
});
