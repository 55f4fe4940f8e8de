// Building the page without innerHTML: every text goes in as text, so no record field can inject markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(node, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "value" && "value" in node) node.value = value;
    else if (name === "checked" || name === "selected" || name === "disabled") node[name] = Boolean(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("p", {class: "note"}, "text", h("b", {}, "bold")). */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element, as `h`. */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** Replace a node's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Say something to screen readers (the page's polite live region). */
export function announce(message) {
  const region = document.getElementById("announce");
  if (region) region.textContent = message;
}

let counter = 0;
/** A fresh id for aria-labelledby and label/for pairs. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: a <label> and its control, in a wrapper. */
export function field(label, control, hint) {
  const id = control.id || uid("field");
  control.id = id;
  const hintNode = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode);
}

/** A <select> from [value, label] pairs. */
export function select(name, options, chosen) {
  return h("select", { name },
    options.map(([value, label]) => h("option", { value, selected: value === (chosen ?? "") }, label)));
}

/** A message box: kind is "error", "empty" or "note". */
export function message(kind, title, text, ...actions) {
  return h("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : null },
    h("p", { class: "message-title" }, title), text ? h("p", {}, text) : null,
    actions.length ? h("p", { class: "actions" }, actions) : null);
}

/** A horizontally scrollable box around a wide table, reachable by keyboard (so it can be scrolled). */
export function scrollBox(label, child) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label }, child);
}
