// The explorer's page: no framework, no request but to the server that served it.
// Every text from the server is put in with textContent, never as markup.
"use strict";

const state = { page: null, catalogue: null, scenario: null, values: {}, running: null,
                shown: null, watch: null, day: 0, timer: null, heartbeat: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

async function api(path, options) {
  const reply = await fetch(path, options);
  let body = null;
  try { body = await reply.json(); } catch (e) { body = null; }
  if (!reply.ok) {
    const message = body && body.error ? body.error : `the server answered ${reply.status}`;
    const error = new Error(message);
    error.status = reply.status;
    throw error;
  }
  return body;
}

function fmt(text, digits) {
  if (text === "" || text === null || text === undefined) return "\u2013";
  const x = Number(text);
  if (!Number.isFinite(x)) return String(text);
  const d = digits === undefined ? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 3) : digits;
  return x.toLocaleString("en-GB", { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

// -- scenarios and levers ------------------------------------------------------------------
function chooseScenario(name) {
  const entry = state.catalogue.scenarios.find((s) => s.name === name);
  state.scenario = entry;
  state.values = {};
  for (const lever of entry.levers) state.values[lever.path] = lever.value;
  $("description").textContent = entry.description;
  $("horizon").textContent = `From ${entry.start_date} for ${entry.horizon_days} days ` +
    `(file ${entry.file}).`;
  renderLevers();
  showEffort();
  renderExercises();
}

function renderLevers() {
  const box = $("levers");
  box.replaceChildren();
  const entry = state.scenario;
  if (!entry.levers.length) box.append(el("p", { class: "quiet" }, "This scenario has no levers."));
  entry.levers.forEach((lever, i) => {
    const id = `lever-${i}`;
    // the scenario's own value may lie outside the lever's range: the slider reaches it
    const low = Math.min(lever.low, lever.value), high = Math.max(lever.high, lever.value);
    const slider = el("input", { type: "range", min: low, max: high,
                                 step: lever.step, value: lever.value, id: id,
                                 "data-path": lever.path, "aria-label": lever.label });
    const number = el("input", { type: "number", min: low, max: high,
                                 step: lever.step, value: lever.value,
                                 "data-path": lever.path, "aria-label": `${lever.label} value` });
    const row = el("div", { class: "lever", "data-path": lever.path });
    const set = (raw) => {
      let v = Number(raw);
      if (!Number.isFinite(v)) return;
      v = Math.min(high, Math.max(low, v));
      if (lever.integer) v = Math.round(v);
      state.values[lever.path] = v;
      slider.value = v; number.value = v;
      row.classList.toggle("moved", v !== lever.value);
      showEffort();
    };
    slider.addEventListener("input", () => set(slider.value));
    number.addEventListener("change", () => set(number.value));
    const source = lever.source || {};
    row.append(
      el("div", { class: "head" }, el("label", { for: id }, el("b", {}, lever.label)),
         el("span", { class: "quiet" }, `${lever.unit}`)),
      slider,
      el("div", { class: "head" }, number,
         el("span", { class: "quiet" }, `scenario: ${fmt(lever.value, 4)} (${fmt(lever.low, 4)}` +
            ` to ${fmt(lever.high, 4)})`)),
      el("p", { class: "source" }, lever.description),
      el("p", { class: "source" }, `${source.kind || "source"}: ${source.text || ""}`));
    box.append(row);
  });
}

// The effort of a setting, as sim.scenario.levers.total_effort: points linear in each lever's
// distance from its free end (docs/model.md, Levers).
function showEffort() {
  const levers = state.scenario.levers;
  const effort = (values) => levers.reduce((sum, l) =>
    sum + l.effort_per_unit * Math.abs(values[l.path] - l.free_end), 0);
  const own = {};
  for (const l of levers) own[l.path] = l.value;
  $("effort").textContent = levers.length ? `Effort of these settings: ` +
    `${fmt(effort(state.values), 2)} points (the scenario's own: ${fmt(effort(own), 2)}; ` +
    `docs/model.md, Levers).` : "";
}

function renderExercises() {
  const box = $("exercises");
  box.replaceChildren();
  const list = state.scenario.exercises;
  if (!list.length) {
    box.append(el("p", { class: "quiet" }, "No exercises found (docs/exercises)."));
    return;
  }
  for (const ex of list) {
    const items = el("ol", {});
    for (const q of ex.questions) items.append(el("li", {}, q));
    box.append(el("details", {}, el("summary", {}, `Exercise ${ex.number}: ${ex.title}`),
                  el("p", { class: "quiet" }, ex.goal), items,
                  el("p", { class: "quiet" }, `docs/exercises/${ex.file}`)));
  }
}

// -- runs ------------------------------------------------------------------------------------
async function startRun() {
  showError("");
  $("run").disabled = true;  // one click, one run
  // the seed as text: a JavaScript number holds whole numbers exactly only up to 2^53
  const body = { scenario: state.scenario.name, levers: state.values,
                 replications: Number($("replications").value), seed: $("seed").value.trim() };
  try {
    const reply = await api(`/api/pages/${state.page}/runs`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) });
    state.running = reply.run.number;
    showProgress(reply.run);
    poll();
  } catch (e) {
    showError(e.message);
    $("run").disabled = false;
  }
}

function showProgress(run) {
  const running = run && run.state === "running";
  $("run").disabled = running;
  $("stop").disabled = !running;
  $("progress").max = run ? run.total : 1;
  $("progress").value = run ? run.done : 0;
  if (run) {
    const what = { running: "running", finished: "finished", stopped: "stopped",
                   failed: "failed" }[run.state] || run.state;
    $("status").textContent = `Run ${run.number} (${run.scenario}): ${what}, ` +
      `${run.done} of ${run.total} replications, ${fmt(run.seconds, 1)} s` +
      (run.message ? `: ${run.message}` : "");
  }
}

async function poll() {
  if (state.running === null) return;
  let status;
  try {
    status = await api(`/api/pages/${state.page}`);
  } catch (e) {
    showError(e.message);
    state.running = null;
    showProgress(null);
    $("run").disabled = false;
    return;
  }
  const run = status.runs.find((r) => r.number === state.running);
  if (!run) { state.running = null; return; }
  showProgress(run);
  if (run.state === "running") { setTimeout(poll, 300); return; }
  state.running = null;
  if (run.state === "finished") await showResults(run.number);
}

async function stopRun() {
  try { await api(`/api/pages/${state.page}/stop`, { method: "POST" }); }
  catch (e) { showError(e.message); }
}

// -- results ---------------------------------------------------------------------------------
function estimateCells(row) {
  if (row.statistic === "km_median") {
    const median = row.estimate === "" ? "not reached" : `median day ${fmt(row.estimate, 1)}`;
    const p = `P(by the horizon) ${fmt(row.p_event_by_horizon, 3)}`;
    const interval = `[${fmt(row.ci_low, 1)}, ${fmt(row.ci_high, 1)}]; ` +
      `[${fmt(row.p_ci_low, 3)}, ${fmt(row.p_ci_high, 3)}]`;
    return [`${median}; ${p}`, interval];
  }
  return [fmt(row.estimate), `[${fmt(row.ci_low)}, ${fmt(row.ci_high)}]`];
}

function numberRow(row) {
  const [estimate, interval] = estimateCells(row);
  return el("tr", { "data-metric": row.metric, "data-estimate": row.estimate,
                    "data-ci-low": row.ci_low, "data-ci-high": row.ci_high,
                    "data-p": row.p_event_by_horizon },
            el("td", {}, row.title), el("td", { class: "num" }, estimate),
            el("td", { class: "num" }, interval), el("td", {}, row.unit));
}

async function showResults(number) {
  let data;
  try { data = await api(`/api/pages/${state.page}/runs/${number}`); }
  catch (e) { showError(e.message); return; }
  state.shown = number;
  $("welcome").hidden = true;
  $("results").hidden = false;
  $("results").setAttribute("data-run", String(number));
  const s = data.settings;
  const moved = s.levers.length ? s.levers.map((l) => `${l.path} = ${l.value}`).join(", ")
                                : "levers at the scenario's values";
  $("results-title").textContent = `Run ${number}: ${s.scenario}, ${moved}, ` +
    `${s.replications} replications, seed ${s.seed}`;
  $("command").textContent = s.command;
  $("download").href = `/api/pages/${state.page}/runs/${number}/results.zip`;
  const key = $("numbers").querySelector("tbody");
  const all = $("all-numbers").querySelector("tbody");
  key.replaceChildren(); all.replaceChildren();
  for (const row of data.numbers) (row.key ? key : all).append(numberRow(row));
  showComparison(data.comparison);
  const figures = $("figures");
  figures.replaceChildren(el("h2", {}, "Figures"));
  for (const f of data.figures) {
    figures.append(el("figure", { "data-figure": f.name },
      el("img", { src: `/api/pages/${state.page}/runs/${number}/plots/${f.file}`,
                  alt: f.caption, loading: "eager" }),
      el("figcaption", {}, f.caption)));
  }
  figures.hidden = false;
  await loadWatch(number);
}

function showComparison(cmp) {
  const box = $("comparison");
  const body = $("differences").querySelector("tbody");
  body.replaceChildren();
  if (!cmp) { box.hidden = true; return; }
  box.hidden = false;
  if (!cmp.paired) {
    $("comparison-note").textContent = cmp.note;
    $("differences").hidden = true;
    return;
  }
  $("differences").hidden = false;
  const before = cmp.previous_settings, now = cmp.current_settings;
  const lev = (s) => s.levers.length ? s.levers.map((l) => `${l.path} = ${l.value}`).join(", ")
                                     : "levers at the scenario's values";
  $("comparison-note").textContent = `Run ${cmp.current} (${now.scenario}, ${lev(now)}) ` +
    `minus run ${cmp.previous} (${before.scenario}, ${lev(before)}), replication by ` +
    `replication under the same seed ${now.seed}. "Real" means the 95% interval of the ` +
    `difference excludes 0 after Holm's correction for the ${cmp.comparisons.length} ` +
    `comparisons. Event days are compared as days until the event or the horizon.`;
  for (const row of cmp.comparisons) {
    const real = row.significant;
    body.append(el("tr", { "data-metric": row.metric, "data-difference": row.mean_difference,
                           "data-ci-low": row.ci95[0], "data-ci-high": row.ci95[1],
                           "data-real": String(real) },
      el("td", {}, `${row.title} (${row.unit})`),
      el("td", { class: "num" }, fmt(row.mean_difference)),
      el("td", { class: "num" }, `[${fmt(row.ci95[0])}, ${fmt(row.ci95[1])}]`),
      el("td", { class: real ? "real" : "noise" }, real ? "yes" : "no: could be chance"),
      el("td", { class: "num" }, fmt(row.p_holm, 4))));
  }
}

// -- one replication, watched ----------------------------------------------------------------
const NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function positions(layout) {
  const at = { refinery: [350, 195] };
  const [cx, cy] = at.refinery;
  layout.sectors.forEach((name, i) => {
    if (i === 0) { at[name] = [cx, cy]; return; }
    const k = layout.sectors.length - 1;
    const a = -Math.PI / 2 + (2 * Math.PI * (i - 1)) / k;
    at[name] = [cx + 48 * Math.cos(a), cy + 48 * Math.sin(a)];
  });
  const n = layout.villages.length;
  layout.villages.forEach((name, i) => {  // the first met is the farthest from the plant
    at[name] = [cx + (i % 2 ? 40 : -40), 412 - (i * 125) / Math.max(1, n)];
  });
  const m = layout.others.length;
  layout.others.forEach((name, j) => {
    const a = Math.PI * (1.12 - (1.24 * j) / Math.max(1, m - 1));
    at[name] = [cx + 290 * Math.cos(a), cy - 135 * Math.sin(a)];
  });
  return at;
}

function drawSchematic() {
  const w = state.watch, frame = w.frames[state.day], layout = w.layout;
  const at = positions(layout);
  const holder = {};
  layout.areas.forEach((a, i) => { holder[a.name] = frame.holders[i]; });
  const root = $("schematic");
  root.replaceChildren();
  layout.links.forEach((link, i) => {
    const points = link.path.filter((p) => at[p]).map((p) => at[p].join(",")).join(" ");
    const cut = frame.cut[i] === "x";
    const serves = !cut && link.path.every((p) => p === "refinery" || holder[p] === "g");
    const line = svg("polyline", { points: points,
      class: "link" + (cut ? " cut" : serves ? " serves" : "") });
    line.append(svg("title", {}, `${link.name} (${link.kind})${cut ? ": cut" : ""}`));
    root.append(line);
  });
  const [cx, cy] = at.refinery;
  root.append(svg("circle", { cx: cx, cy: cy, r: 74, fill: "none", stroke: "#bbb",
                              "stroke-dasharray": "3 3" }));
  root.append(svg("text", { x: cx, y: cy - 80, "text-anchor": "middle" },
                  "the plant: sectors"));
  for (const area of layout.areas) {
    const p = at[area.name];
    if (!p) continue;
    const side = holder[area.name] === "g" ? "gov" : "ins";
    const r = area.kind === "sector" ? 16 : 9;
    const node = svg("circle", { cx: p[0], cy: p[1], r: r, class: side,
                                 "data-area": area.name });
    node.append(svg("title", {}, `${area.name} (${area.kind}): ` +
      `${side === "gov" ? "government" : "insurgents"}`));
    root.append(node);
    const label = area.kind === "sector" ? area.name.replace("plant-", "") : area.name;
    root.append(svg("text", { x: p[0], y: p[1] + r + 11, "text-anchor": "middle" }, label));
  }
  const f = frame.flights || { delivered: 0, lost: 0 };
  root.append(svg("text", { x: 690, y: 16, "text-anchor": "end" },
                  `flights that day: ${f.delivered} delivered, ${f.lost} shot down`));
  if (f.delivered || f.lost) {
    root.append(svg("path", { d: `M640,24 Q520,60 ${cx + 20},${cy - 22}`, class: "flight" }));
  }
  if (f.lost) {
    root.append(svg("path", { d: "M560,30 l12,12 m0,-12 l-12,12", class: "lost" }));
  }
  root.append(svg("circle", { cx: 14, cy: 12, r: 6, class: "gov" }));
  root.append(svg("text", { x: 24, y: 16 }, "government"));
  root.append(svg("circle", { cx: 104, cy: 12, r: 6, class: "ins" }));
  root.append(svg("text", { x: 114, y: 16 }, "insurgents"));
  root.append(svg("text", { x: 8, y: 34 }, "links: green serves the government; dashed red: cut"));
  const refinery = ["down", "restarting", "operating"][frame.refinery] || "?";
  // frame d: the state after d days, at the end of day d - 1 (days count from 0)
  const date = new Date(w.start_date + "T00:00:00Z");
  date.setUTCDate(date.getUTCDate() + frame.day - (frame.day ? 1 : 0));
  const when = date.toISOString().slice(0, 10);
  $("day-label").textContent = frame.day ? `after ${frame.day} days (end of ${when})`
                                         : `the start (${when})`;
  $("day-state").textContent = `Garrison: ${frame.garrison ? `${frame.troops} troops` : "gone"}` +
    `, ${fmt(frame.supplies_t, 1)} t of supplies; besiegers: ${frame.besiegers}; government ` +
    `holds ${fmt(100 * frame.gov_share, 0)}% of the plant; refinery (government): ${refinery}.`;
  for (const item of $("log").children) {
    const day = Number(item.getAttribute("data-day"));
    item.classList.toggle("future", day >= frame.day);
    item.classList.toggle("today", day === frame.day - 1);
  }
  const log = $("log"), today = log.querySelector("li.today, li.future");
  if (today) log.scrollTop = Math.max(0, today.offsetTop - 60);  // the list, not the page
}

async function loadWatch(number) {
  stopPlaying();
  let w;
  try { w = await api(`/api/pages/${state.page}/runs/${number}/watch`); }
  catch (e) { showError(e.message); return; }
  state.watch = w;
  state.day = 0;
  $("watch").hidden = false;
  $("watch-note").textContent = `Replication 0 of run ${number} (seed ${w.seed}: the same ` +
    `as baiji-sim trace with --seed ${w.seed}), ${w.horizon_days} days from ${w.start_date}.` +
    (w.log_truncated ? " The log shows its first lines only." : "");
  const slider = $("day");
  slider.max = String(w.frames.length - 1);
  slider.value = "0";
  const log = $("log");
  log.replaceChildren();
  for (const entry of w.log) {
    log.append(el("li", { "data-day": String(entry.day) },
      `${entry.date} (day ${fmt(entry.time, 2)}) ${entry.kind}: ${entry.text}`));
  }
  drawSchematic();
}

function stopPlaying() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
  $("play").textContent = "Play";
}

function togglePlay() {
  if (!state.watch) return;
  if (state.timer) { stopPlaying(); return; }
  if (state.day >= state.watch.frames.length - 1) state.day = 0;
  $("play").textContent = "Pause";
  state.timer = setInterval(() => {
    if (state.day >= state.watch.frames.length - 1) { stopPlaying(); return; }
    state.day += 1;
    $("day").value = String(state.day);
    drawSchematic();
  }, 120);
}

// -- start -----------------------------------------------------------------------------------
async function heartbeat() {
  if (state.running !== null) return;  // the run's polling keeps the page known
  try { await api(`/api/pages/${state.page}`); }
  catch (e) { if (e.status === 404) showError(e.message); }
}

async function main() {
  try {
    state.catalogue = await api("/api/catalogue");
    state.page = (await api("/api/pages", { method: "POST" })).page;
  } catch (e) {
    showError(`The explorer is not answering: ${e.message}`);
    return;
  }
  const select = $("scenario");
  for (const s of state.catalogue.scenarios) select.append(el("option", { value: s.name }, s.name));
  select.addEventListener("change", () => chooseScenario(select.value));
  const b = state.catalogue.bounds;
  $("replications").min = b.replications[0];
  $("replications").max = b.replications[1];
  $("replications").value = b.default_replications;
  $("seed").value = b.default_seed;
  chooseScenario(select.value);
  $("reset").addEventListener("click", () => chooseScenario(state.scenario.name));
  $("run").addEventListener("click", startRun);
  $("stop").addEventListener("click", stopRun);
  $("play").addEventListener("click", togglePlay);
  $("day").addEventListener("input", () => {
    stopPlaying();
    state.day = Number($("day").value);
    drawSchematic();
  });
  state.heartbeat = setInterval(heartbeat, 5000);
  window.addEventListener("pagehide", () => {
    navigator.sendBeacon(`/api/pages/${state.page}/leave`);
  });
  document.body.setAttribute("data-ready", "true");
}

main();
