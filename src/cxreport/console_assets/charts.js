// Charts as inline SVG drawn here (no library), each with its numbers as a table and a CSV download.

import { ApiError, download } from "./api.js";
import { h, s, scrollBox, uid } from "./dom.js";

const HEIGHT = 260;
const LEFT = 56;
const RIGHT = 12;
const TOP = 14;
const BOTTOM = 46;

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Grouped bars: `labels` along the x axis, one bar per series in each group.
 * series: [{name, cls, values: [number|null]}]; format(value) writes a value; target: {value, label} draws a line.
 */
export function barChart({ title, labels, series, format, max, target, below }) {
  // As wide as the screen allows (up to 820), so that the labels keep their size on a phone.
  const WIDTH = Math.round(Math.min(820, Math.max(320, window.innerWidth - 56)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const values = series.flatMap((one) => one.values).filter((v) => v !== null && v !== undefined);
  const top = max ?? niceMax(Math.max(0, ...values, target ? target.value : 0));
  const group = plotWidth / Math.max(1, labels.length);
  const barWidth = Math.max(1, (group * 0.8) / series.length);
  const y = (v) => TOP + plotHeight - (v / top) * plotHeight;
  const every = Math.max(1, Math.ceil(labels.length / Math.max(3, Math.floor(plotWidth / 64))));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  return s("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${title}. The table below the chart has every value.` },
    ticks.map((t) => [
      s("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: y(t), y2: y(t) }),
      s("text", { x: LEFT - 6, y: y(t) + 4, "text-anchor": "end" }, format(t)),
    ]),
    s("line", { class: "axis", x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0) }),
    labels.map((label, i) => [
      series.map((one, k) => {
        const value = one.values[i];
        if (value === null || value === undefined) return null;
        const height = Math.max(value > 0 ? 1 : 0, y(0) - y(value));
        const cls = below && target && value < target.value ? `${one.cls} below` : one.cls;
        return s("rect", { class: cls, x: LEFT + i * group + group * 0.1 + k * barWidth, y: y(0) - height, width: barWidth, height,
          "data-series": one.name, "data-label": label, "data-value": value },
        s("title", {}, `${label}: ${one.name} ${format(value)}`));
      }),
      i % every === 0
        ? s("text", { x: LEFT + i * group + group / 2, y: HEIGHT - BOTTOM + 16, "text-anchor": "middle" }, label)
        : null,
    ]),
    target ? [
      s("line", { class: "target", x1: LEFT, x2: WIDTH - RIGHT, y1: y(target.value), y2: y(target.value) }),
      s("text", { class: "target-label", x: WIDTH - RIGHT, y: y(target.value) - 4, "text-anchor": "end" }, target.label),
    ] : null);
}

export function legend(items) {
  return h("ul", { class: "legend" }, items.map(([cls, label]) => h("li", {}, h("span", { class: `swatch ${cls}` }), label)));
}

/** The chart's numbers: a header row, then one row per label. cells(i) gives [{text, value}] for row i. */
export function dataTable(caption, headers, rows) {
  return scrollBox(caption, h("table", { class: "numbers" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text, i) => h("th", { scope: "col", class: i ? "num" : null }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => (i
      ? h("td", { class: "num", "data-value": cell.value ?? "" }, cell.text)
      : h("th", { scope: "row" }, cell.text))))))));
}

/** A panel: title, CSV button, the chart (or anything), and its table behind a "Show the numbers" toggle. */
export function panel({ title, note, chart, table, csv, open }) {
  const id = uid("panel");
  const status = h("span", { class: "hint", role: "status" });
  const button = csv ? h("button", { type: "button", class: "quiet", onclick: async () => {
    button.disabled = true;
    status.textContent = "Downloading…";
    try {
      await download(csv.path, csv.params, csv.filename);
      status.textContent = "Downloaded.";
    } catch (error) {
      status.textContent = error instanceof ApiError ? `Download failed: ${error.message}` : "Download failed.";
    } finally {
      button.disabled = false;
    }
  } }, "Download CSV") : null;
  return h("section", { class: "panel", "aria-labelledby": id },
    h("div", { class: "panel-head" }, h("h2", { id }, title), h("div", { class: "actions" }, button, status)),
    note ? h("p", { class: "hint" }, note) : null,
    chart,
    table ? h("details", { class: "data", open: open || null }, h("summary", {}, "Show the numbers"), table) : null);
}
