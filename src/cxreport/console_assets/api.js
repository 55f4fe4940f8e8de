// The public JSON API, as any client calls it: a token from POST /v1/tokens, kept in this tab's
// sessionStorage only (gone when the tab closes; never in localStorage or a cookie).

const KEY = "cxreport.session";
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, parameter) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter || null;
  }
}

/** The signed-in session ({token, expiresAt, tenantId, role, keyId, tenantName, timezone}) or null. */
export function session() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (!saved || !saved.token) return null;
    if (Date.parse(saved.expiresAt) <= Date.now()) {
      endSession("expired");
      return null;
    }
    return saved;
  } catch {
    return null;
  }
}

/** Forget the token; `reason` ("signed-out", "expired", "revoked") goes to whoever listens (the app). */
export function endSession(reason) {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(reason);
}

export function onSessionEnd(listener) {
  listeners.add(listener);
}

const UNREACHABLE = "The server cannot be reached. Check that cxreport is running and your network, then try again.";

async function send(url, init) {
  try {
    return await fetch(url, { ...init, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", UNREACHABLE);
  }
}

async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  const code = body.code || (response.status >= 500 ? "internal_error" : "error");
  let text = body.message || `The server answered ${response.status}.`;
  if (response.status >= 500 && response.status !== 503) text = "The server had an internal error. Try again; if it goes on, check the server's log.";
  if (code === "timeout") text = "The server took too long to answer. Try a shorter range or more filters.";
  return new ApiError(response.status, code, text, body.parameter);
}

/** Exchange a key id and secret for a token; saves the session. */
export async function signIn(keyId, secret) {
  const ask = async (ttl) => send("/v1/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(ttl ? { username: keyId, password: secret, ttl } : { username: keyId, password: secret }),
  });
  let response = await ask(8 * 3600); // a working shift, when the server allows it
  if (response.status === 400) response = await ask(null);
  if (response.status === 401) {
    throw new ApiError(401, "unauthenticated", "That key id and secret are not valid (or the key was revoked). Check them and try again.");
  }
  if (!response.ok) throw await errorOf(response);
  const token = await response.json();
  const saved = { token: token.token, expiresAt: token.expiresAt, tenantId: token.tenantId, role: token.role, keyId };
  sessionStorage.setItem(KEY, JSON.stringify(saved));
  // The tenant's name and zone: an empty window costs nothing to count.
  const probe = await getJson("interactions", { startTimeRange: "2000-01-01T00:00:00Z", endTimeRange: "2000-01-01T00:00:00Z", limit: 0 });
  saved.tenantName = probe.tenantName || "";
  saved.timezone = probe.tenantTimezone || "UTC";
  sessionStorage.setItem(KEY, JSON.stringify(saved));
  return saved;
}

/** `path` under /v1/tenants/{tenantId}/ with query `params` (arrays repeat the parameter; empty values are left out). */
export function tenantUrl(path, params) {
  const current = session();
  if (!current) throw new ApiError(401, "unauthenticated", "Sign in first.");
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== "") query.append(name, String(one));
    }
  }
  const text = query.toString();
  return `/v1/tenants/${encodeURIComponent(current.tenantId)}/${path}${text ? `?${text}` : ""}`;
}

/** A call with the session's token; 401 ends the session (expired or revoked), 429 waits and retries. */
export async function call(url, init = {}) {
  const current = session();
  if (!current) throw new ApiError(401, "unauthenticated", "Your session has ended. Sign in again.");
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${current.token}` };
  for (let attempt = 0; ; attempt += 1) {
    const response = await send(url, { ...init, headers });
    if (response.status === 401) {
      endSession("expired");
      throw new ApiError(401, "unauthenticated", "Your session has expired. Sign in again.");
    }
    if (response.status === 429 && attempt < 3) {
      const wait = Number(response.headers.get("Retry-After") || "1");
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(0.2, wait)) * 1000));
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}

export async function getJson(path, params, init) {
  const response = await call(tenantUrl(path, params), init);
  return response.json();
}

/** Download what a route answers (CSV) as a file named `filename`. */
export async function download(path, params, filename) {
  const response = await call(tenantUrl(path, params));
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  return blob.size;
}
