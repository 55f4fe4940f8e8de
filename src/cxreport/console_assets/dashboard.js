// Dashboard: a range of days in the tenant's zone; offered / answered / abandoned and service level per interval,
// speed of answer and handle time per queue, and the agents' work, from /statistics and /agent-statistics.

import { ApiError, getJson } from "./api.js";
import { barChart, dataTable, legend, panel } from "./charts.js";
import { field, h, message, replace, select } from "./dom.js";
import { addDays, bucketLabel, count, dateInZone, duration, isoDate, isoInstant, midnight, parseDate, percent } from "./format.js";

export const TARGET_KEY = "cxreport.slaTarget";
const QUICK = [["today", "Today"], ["yesterday", "Yesterday"], ["7d", "Last 7 days"]];

/** The chosen days, from and to (included), and the interval: from the hash's parameters. */
export function chosenRange(params, zone) {
  const range = params.get("range") || (params.get("from") ? "custom" : "today");
  let from = dateInZone(zone);
  let to = from;
  if (range === "yesterday") from = to = dateInZone(zone, -1);
  if (range === "7d") from = dateInZone(zone, -6);
  if (range === "custom") {
    from = parseDate(params.get("from")) || from;
    to = parseDate(params.get("to")) || from;
    if (isoDate(to) < isoDate(from)) [from, to] = [to, from];
  }
  const days = Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86400000) + 1;
  const auto = days <= 2 ? "hour" : days <= 62 ? "day" : "week";
  const picked = params.get("interval") || "";
  const interval = picked || auto;
  const next = addDays(to, 1);
  return {
    range, from, to, days, interval, picked,
    start: isoInstant(midnight(from.year, from.month, from.day, zone)),
    end: isoInstant(midnight(next.year, next.month, next.day, zone)),
  };
}

function niceDuration(seconds) {
  for (const top of [20, 40, 60, 120, 240, 300, 600, 900, 1200, 1800, 2400, 3600, 7200, 14400]) if (top >= seconds) return top;
  return Math.ceil(seconds / 3600) * 3600;
}

function sum(rows, name) {
  return rows.reduce((total, row) => total + (row[name] || 0), 0);
}

function ratio(numerator, denominator, scale = 1) {
  return denominator ? (scale * numerator) / denominator : null;
}

function controls(chosen, target, navigate) {
  const go = (changes) => {
    const next = { range: chosen.range, interval: "", target: String(target), ...changes };
    if (next.range !== "custom") { delete next.from; delete next.to; }
    for (const key of Object.keys(next)) if (!next[key]) delete next[key];
    navigate("dashboard", next);
  };
  const from = h("input", { type: "date", name: "from", value: isoDate(chosen.from) });
  const to = h("input", { type: "date", name: "to", value: isoDate(chosen.to) });
  const interval = select("interval", [["", "Automatic"], ["15m", "15 minutes"], ["30m", "30 minutes"], ["hour", "Hour"], ["day", "Day"], ["week", "Week"]], chosen.picked);
  const targetInput = h("input", { type: "number", name: "target", min: "1", max: "100", step: "1", value: String(target) });
  const form = h("form", { class: "toolbar", "aria-label": "Range" },
    h("div", { class: "group", role: "group", "aria-label": "Quick ranges" },
      QUICK.map(([value, label]) => h("button", { type: "button", class: "quiet", "aria-pressed": String(chosen.range === value), onclick: () => go({ range: value }) }, label))),
    field("From", from), field("To (included)", to), field("Interval", interval),
    field("Service level target, %", targetInput),
    h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const t = Math.min(100, Math.max(1, Number(targetInput.value) || 80));
    localStorage.setItem(TARGET_KEY, String(t));
    go({ range: "custom", from: from.value, to: to.value, interval: interval.value, target: String(t) });
  });
  return form;
}

function summary(rows) {
  const offered = sum(rows, "offered");
  const figures = [
    ["Offered", count(offered)],
    ["Answered", count(sum(rows, "answered"))],
    ["Abandoned", count(sum(rows, "abandoned"))],
    ["Service level", percent(ratio(sum(rows, "answeredWithinSla"), sum(rows, "slaJudged"), 100))],
    ["Avg speed of answer", duration(ratio(sum(rows, "answerTimeTotal"), sum(rows, "answersTimed")))],
    ["Avg handle time", duration(ratio(sum(rows, "handleTimeTotal"), sum(rows, "handled")))],
  ];
  return h("div", { class: "summary", "data-testid": "totals" },
    figures.map(([label, value]) => h("div", { class: "figure" }, h("span", { class: "label" }, label), h("span", { class: "value" }, value))));
}

function volumePanel(stats, chosen, csvBase) {
  const labels = stats.rows.map((row) => bucketLabel(row.start, stats.interval));
  const series = [["offered", "Offered"], ["answered", "Answered"], ["abandoned", "Abandoned"]]
    .map(([key, name]) => ({ name, cls: key, key, values: stats.rows.map((row) => row[key]) }));
  return panel({
    title: "Offered, answered and abandoned",
    note: `Queue entries per ${stats.interval} bucket, counted when they entered the queue.`,
    chart: [legend(series.map((one) => [one.cls, one.name])), barChart({ title: "Offered, answered and abandoned per interval", labels, series, format: (v) => count(Math.round(v)) })],
    table: dataTable(`Queue entries per ${stats.interval}`, ["Interval", ...series.map((one) => one.name)],
      stats.rows.map((row, i) => [{ text: labels[i] }, ...series.map((one) => ({ text: count(row[one.key]), value: row[one.key] }))])),
    csv: { path: "statistics", params: csvBase, filename: `statistics-${isoDate(chosen.from)}-to-${isoDate(chosen.to)}-${stats.interval}.csv` },
  });
}

function servicePanel(stats, target, chosen, csvBase) {
  const labels = stats.rows.map((row) => bucketLabel(row.start, stats.interval));
  const values = stats.rows.map((row) => row.serviceLevel);
  return panel({
    title: "Service level against the target",
    note: `Share of judged entries answered within their SLA threshold, per ${stats.interval}; the dashed line is the ${target} % target (bars under it are red). Empty buckets had nothing judged.`,
    chart: [legend([["answered", "at or above target"], ["abandoned", "below target"], ["target", `target ${target} %`]]),
      barChart({ title: "Service level per interval", labels, series: [{ name: "Service level", cls: "sl", values }], max: 100,
        format: (v) => `${Math.round(v)}%`, target: { value: target, label: `target ${target} %` }, below: true })],
    table: dataTable(`Service level per ${stats.interval}`, ["Interval", "Service level", "Within SLA", "Judged", "Target met"],
      stats.rows.map((row, i) => [{ text: labels[i] }, { text: percent(row.serviceLevel), value: row.serviceLevel },
        { text: count(row.answeredWithinSla), value: row.answeredWithinSla }, { text: count(row.slaJudged), value: row.slaJudged },
        { text: row.serviceLevel === null ? "—" : row.serviceLevel >= target ? "yes" : "no" }])),
    csv: { path: "statistics", params: csvBase, filename: `statistics-${isoDate(chosen.from)}-to-${isoDate(chosen.to)}-${stats.interval}.csv` },
  });
}

function queuePanel(queues, chosen, csvBase) {
  const rows = queues.rows.filter((row) => row.offered > 0);
  const labels = rows.map((row) => row.queueName || row.queueId || "(no queue)");
  const series = [
    { name: "Avg speed of answer", cls: "asa", key: "averageSpeedOfAnswer", values: rows.map((r) => r.averageSpeedOfAnswer) },
    { name: "Avg handle time", cls: "aht", key: "averageHandleTime", values: rows.map((r) => r.averageHandleTime) },
  ];
  return panel({
    title: "Speed of answer and handle time per queue",
    note: "Averages over the range: queue entry to the agent's answer, and talk + hold + wrap-up.",
    chart: rows.length ? [legend([["asa", "Avg speed of answer"], ["aht", "Avg handle time"]]),
      barChart({ title: "Average speed of answer and handle time per queue", labels, series, format: duration, max: niceDuration(Math.max(0, ...series.flatMap((one) => one.values).filter((v) => v !== null))) })] : message("empty", "No queue entries in this range."),
    table: dataTable("Per queue, over the range", ["Queue", "Offered", "Answered", "Abandoned", "Service level", "Avg speed of answer", "Avg handle time"],
      rows.map((row, i) => [{ text: labels[i] }, { text: count(row.offered), value: row.offered }, { text: count(row.answered), value: row.answered },
        { text: count(row.abandoned), value: row.abandoned }, { text: percent(row.serviceLevel), value: row.serviceLevel },
        { text: duration(row.averageSpeedOfAnswer), value: row.averageSpeedOfAnswer }, { text: duration(row.averageHandleTime), value: row.averageHandleTime }])),
    csv: { path: "statistics", params: { ...csvBase, interval: "total", groupBy: "queue" }, filename: `queues-${isoDate(chosen.from)}-to-${isoDate(chosen.to)}.csv` },
    open: true,
  });
}

function agentPanel(agents, chosen, range) {
  const rows = [...agents.rows].sort((a, b) => (b.answered - a.answered) || String(a.agentName || a.agentId).localeCompare(String(b.agentName || b.agentId)));
  const table = rows.length
    ? dataTable("Agents over the range", ["Agent", "Answered", "Avg handle time", "Occupancy", "Not-ready time", "Logged-in time"],
      rows.map((row) => [{ text: row.agentName || row.agentId }, { text: count(row.answered), value: row.answered },
        { text: duration(row.averageHandleTime), value: row.averageHandleTime }, { text: percent(row.occupancy), value: row.occupancy },
        { text: duration(row.notReadyTime), value: row.notReadyTime }, { text: duration(row.loggedInTime), value: row.loggedInTime }]))
    : message("empty", "No agent activity in this range.", "Agents appear once they log in (agent-state events) or answer a queue entry.");
  return panel({
    title: "Agents",
    note: "Occupancy is handle time over available time (logged in, not in not-ready).",
    chart: table,
    csv: { path: "agent-statistics", params: { ...range, interval: "total", format: "csv" }, filename: `agents-${isoDate(chosen.from)}-to-${isoDate(chosen.to)}.csv` },
  });
}

export function render(main, { params, session, navigate }) {
  const zone = session.timezone;
  const target = Math.min(100, Math.max(1, Number(params.get("target") || localStorage.getItem(TARGET_KEY) || "80")));
  const chosen = chosenRange(params, zone);
  const controller = new AbortController();
  document.title = "Dashboard · cxreport console";
  const range = { start: chosen.start, end: chosen.end };
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading the figures…"));
  main.append(
    h("h1", {}, "Dashboard"),
    h("p", { class: "hint" }, `${isoDate(chosen.from)}${chosen.days > 1 ? ` to ${isoDate(chosen.to)}` : ""}, whole days in the tenant's zone, ${zone}.`),
    controls(chosen, target, navigate), body);
  const ask = (path, extra) => getJson(path, { ...range, ...extra }, { signal: controller.signal });
  Promise.all([ask("statistics", { interval: chosen.interval }), ask("statistics", { interval: "total", groupBy: "queue" }), ask("agent-statistics", { interval: "total" })])
    .then(([stats, queues, agents]) => {
      body.setAttribute("aria-busy", "false");
      const parts = [summary(stats.rows)];
      if (sum(stats.rows, "offered") === 0) {
        parts.push(message("empty", "No queue entries in this range.",
          "Nothing entered a queue on these days. Try another range: yesterday, the last 7 days, or pick days above."));
      } else {
        parts.push(volumePanel(stats, chosen, { ...range, interval: chosen.interval, format: "csv" }), servicePanel(stats, target, chosen, { ...range, interval: chosen.interval, format: "csv" }),
          queuePanel(queues, chosen, { ...range, format: "csv" }));
      }
      parts.push(agentPanel(agents, chosen, range));
      replace(body, ...parts);
    })
    .catch((error) => {
      if (error.name === "AbortError") return;
      body.setAttribute("aria-busy", "false");
      const text = error instanceof ApiError ? error.message : String(error);
      replace(body, message("error", error.parameter === "interval" ? "Too many intervals for this range" : "The figures could not be loaded",
        error.parameter === "interval" ? `${text} Choose a longer interval.` : text));
    });
  return () => controller.abort();
}
