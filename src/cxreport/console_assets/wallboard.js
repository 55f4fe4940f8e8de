// Live wallboard: waiting now, longest wait now, agents by state, today's offered / answered / abandoned and
// service level against the target, per queue and for the whole tenant, pushed by the realtime stream.

import { ApiError, getJson } from "./api.js";
import { h, message, replace } from "./dom.js";
import { TARGET_KEY } from "./dashboard.js";
import { applyPatch, watch } from "./stream.js";
import { count, dateInZone, duration, isoInstant, localTime, midnight, percent } from "./format.js";

/** Thresholds (the console's choice, documented in docs/console.md): [kind, words]. */
export function waitingLevel(waiting) {
  if (waiting === null || waiting === undefined) return ["", ""];
  if (waiting <= 2) return ["good", waiting === 0 ? "No one waiting" : "Normal"];
  if (waiting <= 9) return ["warn", "Busy"];
  return ["bad", "Overloaded"];
}

export function waitLevel(seconds) {
  if (seconds === null || seconds === undefined) return ["good", "No one waiting"];
  if (seconds <= 20) return ["good", "Within 20 s"];
  if (seconds <= 60) return ["warn", "Over 20 s"];
  return ["bad", "Over a minute"];
}

export function serviceLevel(value, target) {
  if (value === null || value === undefined) return ["", "Nothing judged yet"];
  if (value >= target) return ["good", "On target"];
  if (value >= target - 10) return ["warn", "Near target"];
  return ["bad", "Below target"];
}

function big(label, value, level, key) {
  const [kind, words] = level || ["", ""];
  return h("div", { class: `big ${kind}`, "data-figure": key },
    h("span", { class: "label" }, label),
    h("span", { class: "value" }, value),
    words ? h("span", { class: "state" }, words) : null);
}

function figureOf(results, name, field = "count") {
  const one = results && results[name];
  return one ? one[field] ?? null : null;
}

function longestWait(results, queryTime) {
  // The server re-reads waits every few seconds; between pushes the longest wait grows with the clock.
  const waiting = figureOf(results, "interactions-in-queue");
  const max = figureOf(results, "longest-current-wait", "max");
  if (!waiting || max === null) return null;
  return (max + Math.max(0, Date.now() - Date.parse(queryTime))) / 1000;
}

function tile(title, results, queryTime, target, key) {
  const waiting = figureOf(results, "interactions-in-queue");
  const wait = longestWait(results, queryTime);
  const sl = figureOf(results, "service-level", "value");
  return h("section", { class: "tile", "aria-label": title, "data-queue": key },
    h("h2", {}, title),
    h("div", { class: "figures" },
      big("Waiting now", count(waiting), waitingLevel(waiting), "waiting"),
      big("Longest wait", wait === null ? "—" : duration(wait), waitLevel(wait), "longest"),
      big("Offered today", count(figureOf(results, "offered")), null, "offered"),
      big("Answered today", count(figureOf(results, "answered")), null, "answered"),
      big("Abandoned today", count(figureOf(results, "abandoned")), null, "abandoned"),
      big(`Service level (target ${target} %)`, percent(sl), serviceLevel(sl, target), "service-level")));
}

function agentsLine(results) {
  const reasons = (results["agents-not-ready"] && results["agents-not-ready"].reasons) || {};
  const reasonText = Object.entries(reasons).filter(([, n]) => n).map(([reason, n]) => `${reason || "no reason"} ${n}`).join(", ");
  const states = [["agents-ready", "Ready"], ["agents-busy", "Busy"], ["agents-wrap-up", "Wrap-up"], ["agents-not-ready", "Not ready"], ["agents-unknown-state", "Unknown"], ["agents-logged-out", "Logged out"]];
  return h("section", { class: "tile agents", "aria-label": "Agents by state", "data-queue": "agents" },
    h("h2", {}, "Agents"),
    h("div", { class: "figures" }, states.map(([name, label]) => big(label, count(figureOf(results, name)), null, name))),
    reasonText ? h("p", { class: "agents-line" }, `Not ready: ${reasonText}`) : null);
}

export function render(main, { session }) {
  const zone = session.timezone;
  const target = Math.min(100, Math.max(1, Number(localStorage.getItem(TARGET_KEY) || "80")));
  document.title = "Wallboard · cxreport console";
  const live = h("p", { class: "live", role: "status" }, h("span", { class: "dot" }), "Connecting to the realtime stream…");
  const board = h("div", { class: "wall" });
  main.append(h("div", { class: "panel-head" }, h("h1", {}, "Wallboard"), live),
    h("p", { class: "hint" }, `Now, and today so far in ${zone}. Updated as events arrive; service level target ${target} % (set it on the dashboard).`),
    board);
  const names = new Map();
  let lastNames = 0;
  let picture = null;
  const controller = new AbortController();

  const loadNames = async () => {
    if (Date.now() - lastNames < 30000) return;
    lastNames = Date.now();
    const today = dateInZone(zone);
    const start = isoInstant(midnight(today.year, today.month, today.day, zone));
    try {
      const rows = (await getJson("statistics", { start, end: isoInstant(Date.now()), interval: "total", groupBy: "queue" }, { signal: controller.signal })).rows;
      for (const row of rows) if (row.queueId) names.set(row.queueId, row.queueName || row.queueId);
      if (picture) draw();
    } catch {
      // names are a nicety: tiles show ids without them
    }
  };

  const draw = () => {
    const { results, queues = {}, queryTime } = picture;
    const ids = Object.keys(queues).sort((a, b) => String(names.get(a) || a).localeCompare(String(names.get(b) || b)));
    if (ids.some((id) => !names.has(id))) loadNames();
    replace(board, tile("All queues", results, queryTime, target, "all"), agentsLine(results),
      ids.map((id) => tile(names.get(id) || id, queues[id], queryTime, target, id)));
    const text = `Live · updated ${localTime(queryTime, zone, false)}`;
    if (live.textContent !== text) replace(live, h("span", { class: "dot" }), text);
    live.className = "live on";
  };

  const stop = watch("realtime-statistics/stream", (event) => {
    // a whole picture first, then what changed (a JSON Patch of the picture before: docs/api.md "The stream")
    if (event.event !== "statistics" && !(event.event === "patch" && picture)) return;
    try {
      picture = event.event === "statistics" ? JSON.parse(event.data) : applyPatch(picture, JSON.parse(event.data));
    } catch {
      return;
    }
    draw();
  }, (status) => {
    if (status === "live") return;
    if (status === "reconnecting") {
      replace(live, h("span", { class: "dot" }), "Connection lost: reconnecting…");
      live.className = "live off";
      return;
    }
    live.className = "live off";
    if (status instanceof ApiError && status.status === 404) {
      replace(live, h("span", { class: "dot" }), "Not available");
      replace(board, message("empty", "Realtime statistics are not available on this server.",
        "This cxreport has no realtime routes yet. The dashboard shows today so far.", h("a", { href: "#/dashboard?range=today" }, "Open today's dashboard")));
    } else if (status instanceof ApiError && status.status !== 401) {
      replace(live, h("span", { class: "dot" }), "Stopped");
      replace(board, message("error", "The realtime stream could not be opened", status.message));
    }
  });
  const ticker = setInterval(() => { if (picture) draw(); }, 1000); // longest waits grow between pushes
  return () => {
    controller.abort();
    clearInterval(ticker);
    stop();
  };
}
