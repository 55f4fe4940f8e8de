// The console's entry: the sign-in screen, the header, and a router over the URL's hash
// (#/wallboard, #/dashboard?range=today, #/interactions?channelType=voice, #/interactions/{id}).

import { ApiError, endSession, onSessionEnd, session, signIn } from "./api.js";
import { field, h, message, replace } from "./dom.js";
import * as dashboard from "./dashboard.js";
import * as interaction from "./interaction.js";
import * as interactions from "./interactions.js";
import * as wallboard from "./wallboard.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
let cleanup = null;
let expiryTimer = null;
let notice = null;

const ENDINGS = {
  expired: "Your session has expired. Sign in again to go on.",
  "signed-out": "You are signed out. The token was forgotten by this tab.",
};

function parseHash() {
  const hash = location.hash.startsWith("#/") ? location.hash.slice(2) : "";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || "") };
}

export function navigate(path, params) {
  const query = params ? new URLSearchParams(params).toString() : "";
  const target = `#/${path}${query ? `?${query}` : ""}`;
  if (location.hash === target) route();
  else location.hash = target;
}

function showSignIn() {
  top.hidden = true;
  document.title = "Sign in · cxreport console";
  const keyId = h("input", { name: "keyId", autocomplete: "username", required: true, spellcheck: "false", autocapitalize: "off" });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "current-password", required: true });
  const problem = h("div", { class: "form-problem" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "cxreport console"),
    h("p", { class: "lede" }, "Sign in with an API key of your tenant. The key is exchanged for a token that this tab keeps until it closes."),
    notice ? message("note", notice) : null,
    field("Key id", keyId),
    field("Secret", secret),
    problem,
    button);
  notice = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(problem);
    try {
      await signIn(keyId.value.trim(), secret.value);
      secret.value = "";
      route("signed-in");
    } catch (error) {
      const text = error instanceof ApiError ? error.message : "Signing in failed.";
      replace(problem, message("error", "Not signed in", text));
      button.disabled = false;
      secret.focus();
    }
  });
  replace(main, form);
  keyId.focus();
}

function showHeader(current) {
  top.hidden = false;
  replace(document.getElementById("who"),
    h("span", { class: "tenant" }, current.tenantName || current.tenantId),
    h("span", { class: "zone", title: "Times are shown in the tenant's time zone" }, current.timezone));
  clearTimeout(expiryTimer);
  const left = Date.parse(current.expiresAt) - Date.now();
  expiryTimer = setTimeout(() => endSession("expired"), Math.max(0, Math.min(left, 2 ** 31 - 1)));
}

function markNav(view) {
  for (const link of top.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

const VIEWS = { wallboard, dashboard, interactions };

function route(event) {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const current = session();
  if (!current) {
    showSignIn();
    return;
  }
  showHeader(current);
  const { parts, params } = parseHash();
  let view = parts[0] || "wallboard";
  let module = VIEWS[view];
  if (view === "interactions" && parts[1]) module = interaction;
  if (!module) {
    view = "wallboard";
    module = wallboard;
  }
  markNav(view);
  replace(main);
  cleanup = module.render(main, { id: parts[1], params, session: current, navigate }) || null;
  if (event) main.focus({ preventScroll: false }); // a keyboard user starts on the new view, not the old link
}

onSessionEnd((reason) => {
  notice = ENDINGS[reason] || ENDINGS.expired;
  clearTimeout(expiryTimer);
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  if (reason === "signed-out") history.replaceState(null, "", location.pathname);
  showSignIn();
});

document.getElementById("signout").addEventListener("click", () => endSession("signed-out"));
document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", route);
route();
