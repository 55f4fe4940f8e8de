// Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the token must not go in
// a URL. Reconnects after the server's `retry` (longer after errors), sending the last id as Last-Event-ID.

import { ApiError, call, tenantUrl } from "./api.js";

/** Parse an SSE byte stream; calls onEvent({event, data, id}) per dispatched event. Returns the `retry` seen. */
export async function readEvents(body, onEvent, state) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { event: "message", data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.slice(newline, newline + 2) === "\r\n" ? 2 : 1));
      if (line === "") {
        if (event.data.length) onEvent({ event: event.event, data: event.data.join("\n"), id: event.id });
        event = { event: "message", data: [], id: null };
        continue;
      }
      if (line.startsWith(":")) {
        state.lastBeat = Date.now();
        continue;
      }
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") event.data.push(text);
      else if (name === "event") event.event = text;
      else if (name === "id") { event.id = text; state.lastId = text; }
      else if (name === "retry" && /^\d+$/.test(text)) state.retry = Number(text);
    }
  }
}

/**
 * Apply a JSON Patch (RFC 6902) as the realtime stream sends it (`add`, which replaces a member that exists,
 * and `remove`, on object members) to `doc`, in place; returns the document.
 */
export function applyPatch(doc, ops) {
  for (const op of ops) {
    const parts = op.path.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (!parts.length) {
      doc = op.value;
      continue;
    }
    let parent = doc;
    for (const part of parts.slice(0, -1)) parent = parent[part];
    const last = parts[parts.length - 1];
    if (op.op === "remove") delete parent[last];
    else parent[last] = op.value;
  }
  return doc;
}

/**
 * Watch `path` (under the tenant) as a stream until stop() is called. onEvent gets each event; onStatus gets
 * "live", "reconnecting" or an ApiError (the stream cannot be opened: not found, forbidden…).
 */
export function watch(path, onEvent, onStatus) {
  const state = { retry: 2000, lastId: null, lastBeat: 0 };
  const controller = new AbortController();
  let failures = 0;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const headers = { Accept: "text/event-stream" };
        if (state.lastId) headers["Last-Event-ID"] = state.lastId;
        const response = await call(tenantUrl(path), { headers, signal: controller.signal });
        failures = 0;
        onStatus("live");
        await readEvents(response.body, (event) => { failures = 0; onEvent(event); }, state);
      } catch (error) {
        if (stopped || error.name === "AbortError") return;
        if (error instanceof ApiError && error.status !== 0 && error.status < 500 && error.status !== 429) {
          onStatus(error); // 404 (no realtime routes), 403, 401 (session ended): do not hammer the server
          return;
        }
        failures += 1;
      }
      if (stopped) return;
      onStatus("reconnecting");
      const wait = Math.min(30000, state.retry * 2 ** Math.min(failures, 4));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  loop();
  return () => {
    stopped = true;
    controller.abort();
  };
}
