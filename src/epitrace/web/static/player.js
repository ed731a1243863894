// Evidence playback: the redacted MP4 clip of one sighting (POST .../exports/clip, the same
// redaction as `epitrace export clip`), fetched as a blob into a <video>, with a download link.
"use strict";

const ETPlayer = (() => {
  const { t, toast } = ET;
  let current = null; // the object URL on show, revoked when the dialog closes

  async function fetchClip(caseId, trackId) {
    const r = await fetch(`/api/cases/${caseId}/exports/clip`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "video/mp4, application/json",
        "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content || "" },
      body: JSON.stringify({ track_id: trackId }),
    });
    if (!r.ok) {
      let detail = `${r.status} ${r.statusText}`;
      try { detail = (await r.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new Error(ET.failure(r.status, detail));
    }
    return r.blob();
  }

  function close() {
    const dialog = document.getElementById("player");
    const video = document.getElementById("player-video");
    video.pause();
    video.removeAttribute("src");
    video.load();
    if (current) URL.revokeObjectURL(current);
    current = null;
    if (dialog.open) dialog.close();
  }

  // Play sighting `trackId` of case `caseId`; `title` names the moment (who, where, when).
  async function play(caseId, trackId, title) {
    const dialog = document.getElementById("player");
    const video = document.getElementById("player-video");
    const link = document.getElementById("player-download");
    const status = document.getElementById("player-status");
    close();
    document.getElementById("player-title").textContent = `${t("Clip of sighting")} #${trackId}${title ? " · " + title : ""}`;
    status.textContent = t("Preparing the redacted clip…");
    const busy = document.getElementById("player-progress"); // no value: the bar moves until the clip is ready
    if (busy) busy.hidden = false;
    link.hidden = true;
    dialog.dataset.track = String(trackId);
    dialog.dataset.state = "loading";
    dialog.showModal();
    try {
      const blob = await fetchClip(caseId, trackId);
      current = URL.createObjectURL(blob);
      video.src = current;
      link.href = current;
      link.download = `${caseId}_sighting_${trackId}.mp4`;
      link.hidden = false;
      status.textContent = `${(blob.size / 1048576).toFixed(1)} MB · MP4`;
      dialog.dataset.state = "ready";
      video.play().catch(() => { /* autoplay may be refused: the controls are there */ });
    } catch (x) {
      status.textContent = x.message;
      dialog.dataset.state = "failed";
      toast(x.message, true);
    } finally {
      if (busy) busy.hidden = true;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("player-close")?.addEventListener("click", close);
    document.getElementById("player")?.addEventListener("close", close);
  });

  return { play, close };
})();
