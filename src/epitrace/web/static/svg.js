// Plain SVG drawings for the case page: the trajectory as a timeline and as a route over the
// camera positions (no map tiles: the app works offline).
"use strict";

const ETSvg = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  let zone = "UTC"; // the zone the timeline reads in (the cameras')
  const clock = (ms) => ET.fmtClock(new Date(ms).toISOString(), zone);

  // trajectories: [{label, visits: [{camera_name, entry, exit, track_ids}]}]; contacts (once listed):
  // [{camera_name, first_seen, last_seen, risk, person_label}], marked under the visits, coloured by risk.
  function timeline(trajectories, tz = "UTC", contacts = []) {
    zone = tz;
    const visits = trajectories.flatMap((t, k) => t.visits.map((v) => ({ ...v, k, label: t.label })));
    const cams = [...new Set(visits.map((v) => v.camera_name))];
    const W = 900, left = 190, right = 20, rowH = 40, top = 24, H = top + rowH * Math.max(cams.length, 1) + 44;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "timeline", role: "img", "aria-label": "timeline" });
    if (!visits.length) return root;
    let t0 = Math.min(...visits.map((v) => Date.parse(v.entry)));
    let t1 = Math.max(...visits.map((v) => Date.parse(v.exit)));
    if (t1 - t0 < 10000) { t0 -= 5000; t1 += 5000; }
    const x = (ms) => left + ((ms - t0) / (t1 - t0)) * (W - left - right);
    cams.forEach((c, i) => {
      const y = top + i * rowH;
      root.append(svg("rect", { x: left, y, width: W - left - right, height: rowH - 6, class: "lane" }));
      root.append(svg("text", { x: left - 8, y: y + rowH / 2, "text-anchor": "end", class: "lane-label" }, c));
    });
    for (let i = 0; i <= 4; i++) {
      const ms = t0 + ((t1 - t0) * i) / 4;
      const y = top + rowH * cams.length + 18;
      root.append(svg("line", { x1: x(ms), x2: x(ms), y1: top, y2: y - 12, class: "tick" }));
      // the last label ends at its tick: centred, it ran past the right edge and was clipped
      root.append(svg("text", { x: x(ms), y, "text-anchor": i === 4 ? "end" : "middle", class: "axis" }, clock(ms)));
    }
    for (const v of visits) {
      const y = top + cams.indexOf(v.camera_name) * rowH + 3;
      const a = x(Date.parse(v.entry)), b = Math.max(x(Date.parse(v.exit)), a + 3);
      const bar = svg("rect", { x: a, y, width: b - a, height: rowH - 18, rx: 3, fill: COLOURS[v.k % 10], class: "visit" });
      bar.append(svg("title", {}, `${v.label}: ${v.camera_name} ${clock(Date.parse(v.entry))}–${clock(Date.parse(v.exit))} (sightings ${v.track_ids.join(", ")})`));
      root.append(bar);
    }
    const clamp = (px) => Math.min(W - right, Math.max(left, px));
    let marked = 0;
    for (const c of contacts) {
      const lane = cams.indexOf(c.camera_name);
      if (lane < 0) continue;
      const a = clamp(x(Date.parse(c.first_seen))), b = Math.max(clamp(x(Date.parse(c.last_seen))), a + 3);
      const mark = svg("rect", { x: a, y: top + lane * rowH + rowH - 13, width: b - a, height: 6, class: `contact ${c.risk}` });
      mark.append(svg("title", {}, `${c.person_label}: ${clock(Date.parse(c.first_seen))}–${clock(Date.parse(c.last_seen))} (${ET.t(c.risk)})`));
      root.append(mark);
      marked += 1;
    }
    if (marked) root.append(svg("text", { x: left, y: H - 4, class: "axis" }, ET.t("under each visit: its contacts, coloured by risk")));
    root.append(svg("text", { x: W - right, y: H - 4, "text-anchor": "end", class: "axis" }, `${ET.t("Time")}: ${ET.zoneLabel(zone, visits[0].entry)}`));
    return root;
  }

  // cameras: [{id, name, latitude, longitude}]; trajectories as above (visits carry latitude/longitude).
  function route(cameras, trajectories) {
    const W = 520, H = 360, pad = 48;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "route", role: "img", "aria-label": "route" });
    const placed = cameras.filter((c) => c.latitude !== null && c.longitude !== null);
    if (!placed.length) {
      root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis" }, ET.t("no camera has a position")));
      return root;
    }
    const lat0 = placed.reduce((s, c) => s + c.latitude, 0) / placed.length;
    const k = Math.cos((lat0 * Math.PI) / 180);
    const px = placed.map((c) => c.longitude * k), py = placed.map((c) => c.latitude);
    const [x0, x1, y0, y1] = [Math.min(...px), Math.max(...px), Math.min(...py), Math.max(...py)];
    const span = Math.max(x1 - x0, y1 - y0, 1e-4);
    const sx = (lon) => W / 2 + ((lon * k - (x0 + x1) / 2) / span) * (W - 2 * pad);
    const sy = (lat) => H / 2 - ((lat - (y0 + y1) / 2) / span) * (H - 2 * pad);
    root.append(svg("rect", { x: 1, y: 1, width: W - 2, height: H - 2, class: "plan" }));
    for (const c of placed) {
      root.append(svg("rect", { x: sx(c.longitude) - 7, y: sy(c.latitude) - 7, width: 14, height: 14, class: "camera" }));
      root.append(svg("text", { x: sx(c.longitude) + 10, y: sy(c.latitude) - 10, class: "camera-label" }, c.name));
    }
    trajectories.forEach((t, n) => {
      const pts = t.visits.filter((v) => v.latitude !== null && v.longitude !== null);
      if (!pts.length) return;
      const jitter = (i) => (pts.length > 1 && i > 0 && pts[i].camera_id === pts[i - 1].camera_id ? 6 * i : 0);
      const coords = pts.map((v, i) => [sx(v.longitude) + jitter(i), sy(v.latitude) + jitter(i)]);
      root.append(svg("polyline", { points: coords.map((p) => p.join(",")).join(" "), fill: "none",
        stroke: COLOURS[n % 10], "stroke-width": 3, class: "path" }));
      coords.forEach(([x, y], i) => {
        root.append(svg("circle", { cx: x, cy: y, r: 10, fill: COLOURS[n % 10], class: "stop" }));
        root.append(svg("text", { x, y: y + 4, "text-anchor": "middle", class: "stop-label" }, String(i + 1)));
      });
    });
    root.append(svg("text", { x: 10, y: H - 10, class: "axis" }, ET.t("camera positions; numbers: visit order")));
    return root;
  }

  // The picker: the frame image with a clickable box per person.
  function boxes(frame, onPick) {
    const root = svg("svg", { viewBox: `0 0 ${frame.width} ${frame.height}`, class: "boxes", preserveAspectRatio: "none" });
    for (const b of frame.boxes) {
      const r = svg("rect", { x: b.x1, y: b.y1, width: b.x2 - b.x1, height: b.y2 - b.y1, class: "box",
        "data-track": b.track_id, tabindex: 0 });
      r.append(svg("title", {}, `#${b.track_id}: ${ET.t("click to enrol")}`));
      r.addEventListener("click", () => onPick(b.track_id));
      r.addEventListener("keydown", (e) => { if (e.key === "Enter") onPick(b.track_id); });
      root.append(r);
    }
    return root;
  }

  // Faces of an enrolment photo ({width, height, faces: [{index, x1, y1, x2, y2}]}): click one.
  function faces(photo, onPick) {
    const root = svg("svg", { viewBox: `0 0 ${photo.width} ${photo.height}`, class: "boxes faces", preserveAspectRatio: "none" });
    for (const f of photo.faces) {
      const r = svg("rect", { x: f.x1, y: f.y1, width: f.x2 - f.x1, height: f.y2 - f.y1, class: "box face",
        "data-face": f.index, tabindex: 0 });
      const pick = () => { root.querySelectorAll("rect.face").forEach((x) => x.classList.toggle("picked", x === r)); onPick(f.index); };
      r.addEventListener("click", pick);
      r.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      root.append(r);
    }
    if (photo.faces.length === 1) root.querySelector("rect.face").classList.add("picked");
    return root;
  }

  // Calibration: a frame to click points on; `points` [{u, v}] are drawn numbered.
  function calibration(width, height, points, onClick) {
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "boxes calibration", preserveAspectRatio: "none" });
    root.addEventListener("click", (e) => {
      const r = root.getBoundingClientRect();
      onClick(((e.clientX - r.left) / r.width) * width, ((e.clientY - r.top) / r.height) * height);
    });
    points.forEach((p, i) => {
      root.append(svg("circle", { cx: p.u, cy: p.v, r: Math.max(4, width / 160), class: "mark" }));
      root.append(svg("text", { x: p.u + width / 100, y: p.v - width / 100, class: "mark-label" }, String(i + 1)));
    });
    return root;
  }

  return { timeline, route, boxes, faces, calibration, COLOURS };
})();
