// One interaction's life drawn to scale: lanes of bars (IVR, queue waits, offers, conversations, holds, wrap-up,
// transfers), per segment. Times come from the record; the events, when the interaction has them, give the exact
// conversation, hold and wrap-up instants (without events they are placed from the record's durations).

import { h, s, scrollBox } from "./dom.js";
import { duration, durationWords, localTime } from "./format.js";

const ms = (iso) => (iso ? Date.parse(iso) : null);

function byAllocation(events) {
  const found = new Map();
  for (const event of events) {
    const id = event.interactionAgentId;
    if (!id) continue;
    if (!found.has(id)) found.set(id, []);
    found.get(id).push(event);
  }
  return found;
}

function firstOf(events, type) {
  const event = events.find((e) => e.type === type);
  return event ? ms(event.timestamp) : null;
}

function holds(events, lastMs) {
  const spans = [];
  let open = null;
  for (const event of events) {
    if (event.type === "customer-hold" && open === null) open = ms(event.timestamp);
    if (event.type === "customer-resume" && open !== null) {
      spans.push([open, ms(event.timestamp)]);
      open = null;
    }
  }
  if (open !== null) spans.push([open, lastMs]);
  return spans;
}

/** The lanes: [{label, bars: [{kind, start, end, text}]}], and the time span [t0, t1] in ms. */
export function lanes(record, events) {
  const t0 = ms(record.startTimestamp);
  const times = [t0, ms(record.endTimestamp), ...events.map((e) => ms(e.timestamp))];
  for (const part of [...(record.segments || []), ...(record.queues || []), ...(record.agents || [])]) {
    times.push(ms(part.startTimestamp), ms(part.endTimestamp));
  }
  const t1 = Math.max(...times.filter((t) => t !== null), t0 + 1000);
  const result = [];
  const whole = { label: "Interaction", bars: [{ kind: "segment", start: t0, end: ms(record.endTimestamp) || t1, text: record.endTimestamp ? "interaction" : "interaction (in progress)" }] };
  if (typeof record.ivrTime === "number") {
    whole.bars.push({ kind: "ivr", start: t0, end: t0 + record.ivrTime * 1000, text: record.ivrAbandoned ? "IVR (abandoned)" : "IVR" });
  }
  result.push(whole);
  const customerHolds = holds(events, t1);
  if (customerHolds.length) {
    result.push({ label: "Customer on hold", bars: customerHolds.map(([start, end]) => ({ kind: "hold", start, end, text: "on hold" })) });
  }
  const eventsOf = byAllocation(events);
  const segments = record.segments && record.segments.length ? record.segments : [{ segmentNumber: 0, startTimestamp: record.startTimestamp }];
  for (const [index, segment] of segments.entries()) {
    const belongs = (part) => part.interactionSegmentId === segment.interactionSegmentId
      || (!segments.some((other) => other.interactionSegmentId === part.interactionSegmentId) && index === 0);
    const segStart = ms(segment.startTimestamp) ?? t0;
    const segEnd = ms(segment.endTimestamp) ?? t1;
    const kind = segment.segmentStartType || "interaction";
    const bars = [{ kind: segment.segmentCancelled ? "segment cancelled" : "segment", start: segStart, end: segEnd, text: `segment ${segment.segmentNumber ?? index} (${kind})${segment.segmentEndType ? `, ${segment.segmentEndType}` : ""}` }];
    if (segment.transfer) {
      const transferEnd = typeof segment.transferTime === "number" ? segStart + segment.transferTime * 1000 : segEnd;
      bars.push({ kind: "transfer", start: segStart, end: transferEnd, text: `transfer${segment.segmentCancelled ? " (cancelled)" : ""}` });
    }
    result.push({ label: `Segment ${segment.segmentNumber ?? index} · ${kind}`, bars });
    for (const queue of (record.queues || []).filter(belongs)) {
      const start = ms(queue.startTimestamp) ?? segStart;
      const end = ms(queue.endTimestamp) ?? t1;
      const reason = queue.queueExitReason || queue.queueExitType || "waiting";
      result.push({ label: `Queue · ${queue.queueName || queue.queueId || "?"}`, bars: [{ kind: queue.queueAbandoned ? "queue abandoned" : "queue", start, end, text: `queue wait, ${reason}` }] });
    }
    for (const agent of (record.agents || []).filter(belongs)) {
      const mine = eventsOf.get(agent.interactionAgentId) || [];
      const offered = ms(agent.startTimestamp) ?? segStart;
      const released = ms(agent.endTimestamp) ?? t1;
      const bars = [];
      const declined = agent.agentWorkAccepted === false;
      const answer = mine.find((e) => ["work-accepted", "work-rejected", "work-missed"].includes(e.type));
      const offerEnd = answer ? ms(answer.timestamp) : typeof agent.agentWorkOfferTime === "number" ? offered + agent.agentWorkOfferTime * 1000 : (declined ? released : offered);
      const verdict = agent.agentWorkAccepted === true ? "accepted" : answer && answer.type === "work-missed" ? "missed" : answer && answer.type === "work-rejected" ? "rejected" : declined ? "rejected or missed" : "pending";
      bars.push({ kind: declined ? "offer declined" : "offer", start: offered, end: Math.max(offerEnd, offered), text: `offer, ${verdict}` });
      let talkStart = firstOf(mine, "conversation-started");
      let talkEnd = firstOf(mine, "conversation-ended");
      let wrapStart = firstOf(mine, "wrapup-started");
      let wrapEnd = firstOf(mine, "wrapup-ended");
      if (!mine.length && agent.agentWorkAccepted) { // no events: place them from the record's durations
        const wrap = (agent.agentWrapUpTime || 0) * 1000;
        if (wrap) { wrapEnd = released; wrapStart = released - wrap; }
        if (typeof agent.agentConversationTime === "number") { talkEnd = released - wrap; talkStart = talkEnd - agent.agentConversationTime * 1000; }
      }
      if (talkStart !== null) bars.push({ kind: "talk", start: talkStart, end: talkEnd ?? released, text: "conversation" });
      if (wrapStart !== null) bars.push({ kind: "wrap", start: wrapStart, end: wrapEnd ?? released, text: "wrap-up" });
      result.push({ label: `Agent · ${agent.agentName || agent.agentId || "?"}`, bars });
    }
  }
  return { lanes: result, t0, t1 };
}

function tickStep(spanSeconds) {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]) {
    if (spanSeconds / step <= 8) return step;
  }
  return 86400 * Math.ceil(spanSeconds / 86400 / 8);
}

export function drawTimeline(record, events, zone) {
  const { lanes: rows, t0, t1 } = lanes(record, events);
  const labelWidth = 230;
  const width = 1000;
  const laneHeight = 26;
  const top = 24;
  const height = top + rows.length * laneHeight + 8;
  const x = (t) => labelWidth + ((t - t0) / (t1 - t0)) * (width - labelWidth - 10);
  const span = (t1 - t0) / 1000;
  const step = tickStep(span);
  const ticks = [];
  for (let t = 0; t <= span + 0.001; t += step) ticks.push(t);
  const svg = s("svg", { class: "chart timeline", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Timeline of the interaction, ${durationWords(span)} from start to its last event; the table below lists every bar.` },
  ticks.map((t) => [
    s("line", { class: "grid", x1: x(t0 + t * 1000), x2: x(t0 + t * 1000), y1: top - 4, y2: height - 4 }),
    s("text", { x: x(t0 + t * 1000), y: 14, "text-anchor": "middle" }, `+${duration(t)}`),
  ]),
  rows.map((lane, i) => {
    const y = top + i * laneHeight;
    return s("g", { "data-lane": lane.label },
      s("text", { class: "lane-label", x: 4, y: y + 16 }, lane.label.length > 34 ? `${lane.label.slice(0, 33)}…` : lane.label),
      lane.bars.map((bar) => {
        const inner = bar.kind.startsWith("segment") ? 0 : 4;
        return s("rect", { class: `bar ${bar.kind}`, x: x(bar.start), y: y + 2 + inner, height: laneHeight - 6 - 2 * inner,
          width: Math.max(2, x(bar.end) - x(bar.start)), "data-kind": bar.kind.split(" ")[0],
          "data-start": new Date(bar.start).toISOString(), "data-end": new Date(bar.end).toISOString() },
        s("title", {}, `${lane.label}: ${bar.text}, ${localTime(new Date(bar.start).toISOString(), zone, false)} → ${localTime(new Date(bar.end).toISOString(), zone, false)} (${durationWords((bar.end - bar.start) / 1000)})`));
      }));
  }));
  const legend = h("ul", { class: "legend", "aria-label": "Legend" },
    [["ivr", "IVR"], ["queue", "queue wait"], ["abandoned", "abandoned"], ["offer", "offer"], ["talk", "conversation"], ["hold", "hold"], ["wrap", "wrap-up"], ["transfer", "transfer"]]
      .map(([kind, label]) => h("li", {}, h("span", { class: `swatch ${kind}` }), label)));
  const listing = h("details", { class: "data" }, h("summary", {}, "Timeline as a table"),
    scrollBox("Timeline as a table", h("table", {},
      h("thead", {}, h("tr", {}, ["Lane", "What", "From", "To", "Duration"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.flatMap((lane) => lane.bars.map((bar) => h("tr", {},
        h("td", {}, lane.label), h("td", {}, bar.text),
        h("td", {}, localTime(new Date(bar.start).toISOString(), zone, false)),
        h("td", {}, localTime(new Date(bar.end).toISOString(), zone, false)),
        h("td", { class: "num" }, duration((bar.end - bar.start) / 1000)))))))));
  return h("div", {}, legend, svg, listing);
}
