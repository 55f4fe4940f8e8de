// One interaction: a summary, its timeline to scale, every statistic, its events and its raw JSON.

import { ApiError, getJson } from "./api.js";
import { h, message, replace, scrollBox } from "./dom.js";
import { duration, localTime } from "./format.js";
import { LAST_SEARCH } from "./interactions.js";
import { agentNames, handleTime, outcome, queueNames, waitTime } from "./record.js";
import { drawTimeline } from "./timeline.js";

const isScalar = (value) => value === null || ["string", "number", "boolean"].includes(typeof value);

function statList(object) {
  const entries = Object.entries(object).filter(([, value]) => isScalar(value) || (Array.isArray(value) && value.every(isScalar)));
  return h("dl", { class: "stats" }, entries.flatMap(([name, value]) => [
    h("dt", {}, name),
    h("dd", {}, Array.isArray(value) ? value.join(", ") : String(value)),
  ]));
}

function statistics(record) {
  const parts = [h("h3", {}, "Interaction"), statList(record)];
  if (record.customAttributes) parts.push(h("h3", {}, "Custom attributes"), statList(record.customAttributes));
  for (const hook of record.hooks || []) parts.push(h("h3", {}, "Hook"), statList(hook));
  for (const segment of record.segments || []) parts.push(h("h3", {}, `Segment ${segment.segmentNumber}`), statList(segment));
  for (const [i, queue] of (record.queues || []).entries()) parts.push(h("h3", {}, `Queue entry ${i + 1} · ${queue.queueName || queue.queueId || ""}`), statList(queue));
  for (const [i, agent] of (record.agents || []).entries()) parts.push(h("h3", {}, `Agent allocation ${i + 1} · ${agent.agentName || agent.agentId || ""}`), statList(agent));
  return h("div", { class: "statistics" }, parts);
}

function eventsTable(events, zone) {
  if (!events.length) {
    return message("empty", "No stored events.", "This record was ingested directly (POST …/interactions or cxreport import), so it has no events to show; its statistics are as sent.");
  }
  const common = new Set(["type", "eventId", "interactionId", "timestamp", "tenantId"]);
  return scrollBox("Events", h("table", { class: "events" },
    h("caption", {}, `${events.length} events, in time order`),
    h("thead", {}, h("tr", {}, ["Time", "Type", "Details"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, events.map((event) => h("tr", {},
      h("td", {}, localTime(event.timestamp, zone, false)),
      h("td", {}, event.type),
      h("td", {}, h("code", {}, Object.entries(event).filter(([k]) => !common.has(k)).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join("; "))))))));
}

export function render(main, { id, session }) {
  const zone = session.timezone;
  const controller = new AbortController();
  document.title = "Interaction · cxreport console";
  const back = sessionStorage.getItem(LAST_SEARCH) || "#/interactions";
  main.append(h("p", {}, h("a", { href: back }, "← Back to the interactions")),
    h("h1", {}, "Interaction ", h("code", { class: "id" }, id)));
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading the interaction…"));
  main.append(body);

  const events = getJson(`interactions/${encodeURIComponent(id)}/reporting-events`, {}, { signal: controller.signal })
    .then((answer) => answer.results)
    .catch((error) => (error instanceof ApiError && error.status === 404 ? [] : Promise.reject(error)));
  Promise.all([getJson(`interactions/${encodeURIComponent(id)}`, {}, { signal: controller.signal }), events])
    .then(([record, stored]) => {
      body.setAttribute("aria-busy", "false");
      const result = outcome(record);
      const figures = [
        ["Started", localTime(record.startTimestamp, zone)],
        ["Ended", record.endTimestamp ? localTime(record.endTimestamp, zone) : "in progress"],
        ["Channel", `${record.channelType || "—"} · ${record.direction || "—"}`],
        ["Customer", record.customer || "—"],
        ["Queue", queueNames(record).join(", ") || "—"],
        ["Agent", agentNames(record).join(", ") || "—"],
        ["Wait", duration(waitTime(record))],
        ["Handle time", duration(handleTime(record))],
        ["Outcome", result.text],
      ];
      const views = {
        statistics: () => statistics(record),
        events: () => eventsTable(stored, zone),
        raw: () => h("pre", { class: "raw", tabindex: "0", "aria-label": "The record as JSON" }, JSON.stringify(record, null, 2)),
      };
      const shown = h("div", { class: "tab-body" });
      const buttons = [];
      const show = (name) => {
        for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.tab === name));
        replace(shown, views[name]());
      };
      for (const [name, label] of [["statistics", "Every statistic"], ["events", `Events (${stored.length})`], ["raw", "Raw JSON"]]) {
        buttons.push(h("button", { type: "button", class: "quiet", "data-tab": name, "aria-pressed": "false", onclick: () => show(name) }, label));
      }
      replace(body,
        h("div", { class: "summary" }, figures.map(([label, value]) => h("div", { class: "figure" }, h("span", { class: "label" }, label), h("span", { class: "value small" }, value)))),
        record.flagged ? message("note", "Flagged: some figures were estimated.", (record.flaggedReasons || []).join(" ")) : null,
        h("section", { class: "panel", "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Timeline"),
          h("p", { class: "hint" }, `Drawn to scale from the start (+0:00); times in ${zone}.`), drawTimeline(record, stored, zone)),
        h("section", { class: "panel", "aria-labelledby": "details-title" }, h("h2", { id: "details-title" }, "Details"),
          h("div", { class: "tabs", role: "group", "aria-label": "Show" }, buttons), shown));
      show("statistics");
    })
    .catch((error) => {
      if (error.name === "AbortError") return;
      body.setAttribute("aria-busy", "false");
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        replace(body, message("empty", "No such interaction.", "This tenant has no interaction with that id. Go back to the interactions and pick one from the list.", h("a", { href: back }, "Back to the interactions")));
      } else {
        replace(body, message("error", "The interaction could not be loaded", error instanceof ApiError ? error.message : String(error)));
      }
    });
  return () => controller.abort();
}
