// Interactions: filters, a table newest first with cursor paging, and a CSV export of the same search.

import { ApiError, download, getJson } from "./api.js";
import { field, h, message, replace, scrollBox, select, uid } from "./dom.js";
import { addDays, duration, isoInstant, localTime, midnight, parseDate } from "./format.js";
import { agentNames, handleTime, outcome, queueNames, waitTime } from "./record.js";

const FILTERS = ["from", "to", "channelType", "direction", "queueId", "agentId", "customer", "abandoned", "flagged", "limit"];
const cursorsByQuery = new Map(); // the cursor of each page already seen, per search: Previous goes back without history

export const LAST_SEARCH = "cxreport.lastSearch";

/** The API's search parameters for the console's filters (dates are whole days in the tenant's zone). */
export function searchParams(filters, zone) {
  const params = {};
  const from = parseDate(filters.from);
  const to = parseDate(filters.to);
  if (from) params.startTimeRange = isoInstant(midnight(from.year, from.month, from.day, zone));
  if (to) {
    const next = addDays(to, 1);
    params.endTimeRange = isoInstant(midnight(next.year, next.month, next.day, zone));
  }
  for (const name of ["channelType", "direction", "queueId", "agentId", "customer", "abandoned", "flagged"]) {
    if (filters[name]) params[name] = filters[name].trim();
  }
  return params;
}

function filtersOf(params) {
  const filters = {};
  for (const name of FILTERS) filters[name] = params.get(name) || "";
  return filters;
}

function form(filters, onSubmit, onClear) {
  const input = (name, attrs = {}) => h("input", { name, value: filters[name], ...attrs });
  const queueList = uid("queues");
  const agentList = uid("agents");
  const node = h("form", { class: "filters", role: "search", "aria-label": "Filter interactions" },
    field("From (day)", input("from", { type: "date" })),
    field("To (day, included)", input("to", { type: "date" })),
    field("Channel", select("channelType", [["", "Any"], ["voice", "Voice"], ["email", "Email"], ["sms", "SMS"], ["chat", "Chat"]], filters.channelType)),
    field("Direction", select("direction", [["", "Any"], ["inbound", "Inbound"], ["outbound", "Outbound"], ["agent-initiated", "Agent-initiated"]], filters.direction)),
    field("Queue id", input("queueId", { list: queueList, autocomplete: "off", spellcheck: "false" })),
    field("Agent id", input("agentId", { list: agentList, autocomplete: "off", spellcheck: "false" })),
    field("Customer", input("customer", { autocomplete: "off", spellcheck: "false", placeholder: "+15551234567" })),
    field("Abandoned", select("abandoned", [["", "Any"], ["true", "Abandoned"], ["false", "Not abandoned"]], filters.abandoned)),
    field("Flagged", select("flagged", [["", "Any"], ["true", "Flagged"], ["false", "Not flagged"]], filters.flagged)),
    field("Per page", select("limit", [["25", "25"], ["50", "50"], ["100", "100"]], filters.limit || "25")),
    h("datalist", { id: queueList }), h("datalist", { id: agentList }),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Search"),
      h("button", { type: "button", class: "quiet", onclick: onClear }, "Clear filters")));
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = {};
    for (const name of FILTERS) chosen[name] = (node.elements[name].value || "").trim();
    onSubmit(chosen);
  });
  return { node, queueList, agentList };
}

async function suggest(lists, params, signal) {
  // Queue and agent names for the id fields, from the range's statistics (only with a range: it bounds the cost).
  if (!params.startTimeRange || !params.endTimeRange) return;
  const range = { start: params.startTimeRange, end: params.endTimeRange, interval: "total" };
  try {
    const [queues, agents] = await Promise.all([
      getJson("statistics", { ...range, groupBy: "queue" }, { signal }),
      getJson("statistics", { ...range, groupBy: "agent" }, { signal }),
    ]);
    const fill = (id, rows, key, name) => {
      const list = document.getElementById(id);
      if (list) replace(list, rows.filter((r) => r[key]).map((r) => h("option", { value: r[key] }, r[name] || r[key])));
    };
    fill(lists.queueList, queues.rows, "queueId", "queueName");
    fill(lists.agentList, agents.rows, "agentId", "agentName");
  } catch {
    // suggestions are a convenience: the fields take ids without them
  }
}

function table(records, zone) {
  return scrollBox("Interactions", h("table", { class: "results" },
    h("caption", { class: "visually-hidden" }, "Interactions, newest first"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Start"), h("th", { scope: "col" }, "Channel"),
      h("th", { scope: "col", class: "hide-narrow" }, "Customer"), h("th", { scope: "col" }, "Queue"),
      h("th", { scope: "col" }, "Agent"), h("th", { scope: "col", class: "num" }, "Wait"),
      h("th", { scope: "col", class: "num hide-narrow" }, "Handle time"), h("th", { scope: "col" }, "Outcome"))),
    h("tbody", {}, records.map((record) => {
      const result = outcome(record);
      return h("tr", { "data-id": record.interactionId },
        h("td", {}, h("a", { href: `#/interactions/${record.interactionId}` }, localTime(record.startTimestamp, zone))),
        h("td", {}, record.channelType || "—"),
        h("td", { class: "hide-narrow" }, record.customer || "—"),
        h("td", {}, queueNames(record).join(", ") || "—"),
        h("td", {}, agentNames(record).join(", ") || "—"),
        h("td", { class: "num" }, duration(waitTime(record))),
        h("td", { class: "num hide-narrow" }, duration(handleTime(record))),
        h("td", { class: `outcome ${result.kind}` }, result.text));
    }))));
}

export function render(main, { params, session, navigate }) {
  const zone = session.timezone;
  const filters = filtersOf(params);
  const page = Math.max(1, Number(params.get("page") || "1"));
  const cursor = params.get("cursor") || "";
  const limit = Number(filters.limit || "25");
  const query = searchParams(filters, zone);
  const queryKey = JSON.stringify(query);
  const controller = new AbortController();
  document.title = "Interactions · cxreport console";
  sessionStorage.setItem(LAST_SEARCH, location.hash);

  const go = (chosen, extra = {}) => {
    const next = {};
    for (const [name, value] of Object.entries({ ...chosen, ...extra })) if (value) next[name] = value;
    navigate("interactions", next);
  };
  const filterForm = form(filters, (chosen) => go(chosen), () => navigate("interactions", {}));
  const results = h("div", { class: "results-area", "aria-live": "polite", "aria-busy": "true" }, h("p", { class: "loading" }, "Searching…"));
  const exportStatus = h("span", { class: "export-status", role: "status" });
  const exportButton = h("button", { type: "button", class: "quiet", onclick: async () => {
    exportButton.disabled = true;
    exportStatus.textContent = "Exporting…";
    try {
      const bytes = await download("interactions/export", { ...query, format: "csv" }, `interactions${filters.from ? `-${filters.from}` : ""}${filters.to ? `-to-${filters.to}` : ""}.csv`);
      exportStatus.textContent = `Exported (${bytes.toLocaleString("en-US")} bytes of CSV).`;
    } catch (error) {
      exportStatus.textContent = error instanceof ApiError ? `Export failed: ${error.message}` : "Export failed.";
    } finally {
      exportButton.disabled = false;
    }
  } }, "Export CSV");

  main.append(
    h("div", { class: "panel-head" }, h("h1", {}, "Interactions"),
      h("div", { class: "actions" }, exportButton, exportStatus)),
    h("p", { class: "hint" }, `Days and times are in the tenant's zone, ${zone}. Newest first. The export takes every match of these filters, not just this page.`),
    filterForm.node, results);
  suggest(filterForm, query, controller.signal);

  getJson("interactions", { ...query, limit, cursor: cursor || undefined }, { signal: controller.signal })
    .then((answer) => {
      results.setAttribute("aria-busy", "false");
      if (!answer.results.length) {
        const hasFilters = Object.values(filters).some((v) => v && v !== filters.limit);
        replace(results, message("empty", page > 1 ? "No more interactions." : "No interactions match.",
          hasFilters
            ? "Nothing in this range matches these filters. Widen the days, or clear a filter."
            : "This tenant has no interactions yet. Records arrive through POST …/interactions or …/events, or cxreport import.",
          hasFilters ? h("button", { type: "button", class: "quiet", onclick: () => navigate("interactions", {}) }, "Clear filters") : null));
        return;
      }
      const seen = cursorsByQuery.get(queryKey) || new Map();
      cursorsByQuery.set(queryKey, seen);
      seen.set(page, cursor);
      const first = (page - 1) * limit + 1;
      const last = first + answer.results.length - 1;
      const previous = page > 1 ? seen.get(page - 1) : undefined;
      const pager = h("nav", { class: "pager", "aria-label": "Pages" },
        h("button", { type: "button", class: "quiet", disabled: page <= 1,
          onclick: () => previous !== undefined ? go(filters, { cursor: previous, page: page - 1 > 1 ? String(page - 1) : "" }) : go(filters) },
        previous !== undefined || page <= 1 ? "← Newer" : "⇤ Newest"),
        h("span", { class: "where" }, `${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${answer.total.toLocaleString("en-US")} · page ${page}`),
        h("button", { type: "button", class: "quiet", disabled: !answer.next,
          onclick: () => go(filters, { cursor: answer.next, page: String(page + 1) }) }, "Older →"));
      replace(results, table(answer.results, zone), pager);
    })
    .catch((error) => {
      if (error.name === "AbortError") return;
      results.setAttribute("aria-busy", "false");
      const text = error instanceof ApiError ? error.message : String(error);
      const retry = h("button", { type: "button", class: "quiet", onclick: () => navigate("interactions", Object.fromEntries(params)) }, "Try again");
      replace(results, message("error", error.parameter ? `The ${error.parameter} filter is not valid` : "The search failed", text, retry));
    });
  return () => controller.abort();
}
