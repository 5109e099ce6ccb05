// Shared by the desk console and the manager page: language, sign-in, API, live socket.
// The token lives in sessionStorage only (gone when the tab closes), never in a URL.

const TOKEN_KEY = "qms.staff.token";
const LANG_KEY = "qms.lang";

export const branch = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

export const state = { lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "da" };

let texts = { da: {}, en: {} };

// Adds a page's (or a page part's) words; each module of a page may bring its own.
export function useTexts(pageTexts) {
  texts = {
    da: { ...COMMON.da, ...texts.da, ...pageTexts.da },
    en: { ...COMMON.en, ...texts.en, ...pageTexts.en },
  };
}

const COMMON = {
  da: {
    "lang.toggle": "English",
    "signin.label": "Adgangsnøgle",
    "signin.button": "Log ind",
    "signin.help": "Nøglen huskes kun i denne fane.",
    "signout": "Log ud",
    "signin.bad": "Nøglen blev ikke godkendt.",
    "signin.slowed": "For mange forkerte nøgler fra denne computer. Vent et minut, og prøv igen.",
    "live.connecting": "Forbinder …",
    "live.offline": "Forbindelsen er afbrudt – prøver igen …",
    "svc.paused": "på pause",
    "svc.paused_until": "på pause til kl. {time}",
    "err.paused": "Ydelsen er sat på pause: der trækkes ikke nye numre til den.",
    "min": "min",
    "none": "–",
    "lt1": "under 1 min",
    "err.network": "Kunne ikke nå serveren. Prøv igen.",
    "err.unauthorized": "Log ind igen: nøglen blev ikke godkendt.",
    "err.too_many_wrong_tokens": "For mange forkerte nøgler fra denne computer. Prøv igen om {retry_after_s} s.",
    "err.forbidden": "Det må kun en leder.",
    "err.counter_closed": "Skranken er ikke åben.",
    "err.no_waiting_ticket": "Ingen venter på denne skranke.",
    "err.no_current_ticket": "Skranken har intet nummer lige nu.",
    "err.ticket_changed": "Nogen har allerede handlet på nummeret: skranken har nu {current}.",
    "err.counter_busy": "Skranken har stadig et nummer: afslut, overfør eller meld udeblevet først.",
    "err.recalls_remaining": "Kald nummeret igen, før det meldes udeblevet.",
    "err.max_recalls_reached": "Nummeret er kaldt det højeste antal gange: meld det udeblevet.",
    "err.already_serving": "Nummeret er allerede i betjening.",
    "err.not_skilled": "Skranken er ikke sat op til den ydelse.",
    "err.no_services": "Vælg mindst én ydelse.",
    "err.unknown_service": "Ukendt ydelse.",
    "err.closed": "Der er lukket for betjening nu.",
    "err.would_exceed_closing": "Ventetiden rækker ud over lukketid.",
    "err.unavailable": "Køsystemet svarer ikke lige nu. Prøv igen om lidt.",
    "err.not_ready": "Køsystemet starter op. Prøv igen om lidt.",
    "err.invalid_request": "Ugyldigt input: {detail}",
  },
  en: {
    "lang.toggle": "Dansk",
    "signin.label": "Access token",
    "signin.button": "Sign in",
    "signin.help": "The token is kept in this tab only.",
    "signout": "Sign out",
    "signin.bad": "The token was not accepted.",
    "signin.slowed": "Too many wrong tokens from this computer. Wait a minute and try again.",
    "live.connecting": "Connecting …",
    "live.offline": "Connection lost – retrying …",
    "min": "min",
    "none": "–",
    "lt1": "under 1 min",
    "err.network": "Could not reach the server. Try again.",
    "err.unauthorized": "Sign in again: the token was not accepted.",
    "err.too_many_wrong_tokens": "Too many wrong tokens from this computer. Try again in {retry_after_s} s.",
    "err.forbidden": "Only a manager may do that.",
    "err.counter_closed": "The desk is not open.",
    "err.no_waiting_ticket": "No one is waiting for this desk.",
    "err.no_current_ticket": "The desk holds no ticket right now.",
    "err.ticket_changed": "Someone already acted on that ticket: the desk now has {current}.",
    "err.counter_busy": "The desk still has a ticket: finish, transfer or mark no-show first.",
    "err.recalls_remaining": "Recall the ticket before marking it no-show.",
    "err.max_recalls_reached": "The ticket was recalled the most times allowed: mark it no-show.",
    "err.already_serving": "The ticket is already being served.",
    "err.not_skilled": "The desk is not set up for that service.",
    "err.no_services": "Choose at least one service.",
    "err.unknown_service": "Unknown service.",
    "err.closed": "Staffed service is closed now.",
    "err.would_exceed_closing": "The wait would run past closing time.",
    "err.unavailable": "The queue engine is not answering. Try again shortly.",
    "err.not_ready": "The queue system is starting. Try again shortly.",
    "err.invalid_request": "Invalid input: {detail}",
    "svc.paused": "paused",
    "svc.paused_until": "paused until {time}",
    "err.paused": "The service is paused: no new tickets are issued for it.",
  },
};

export function t(key, values = {}) {
  const text = texts[state.lang][key] ?? texts.da[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function applyTexts(root = document) {
  document.documentElement.lang = state.lang;
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
}

export function setupLanguage(button, onChange) {
  button.addEventListener("click", () => {
    state.lang = state.lang === "da" ? "en" : "da";
    localStorage.setItem(LANG_KEY, state.lang);
    applyTexts();
    onChange();
  });
}

export function serviceName(service) {
  return service.name?.[state.lang] ?? service.service;
}

// "på pause til kl. 14:00" for a paused service of the overview, else "".
export function pauseNote(service) {
  if (!service.paused) return "";
  return service.paused_until ? t("svc.paused_until", { time: service.paused_until }) : t("svc.paused");
}

export function minutes(seconds) {
  if (seconds === null || seconds === undefined) return t("none");
  if (seconds < 60) return t("lt1");
  return `${Math.round(seconds / 60)} ${t("min")}`;
}

export function secondsSince(iso, now = Date.now()) {
  return iso ? Math.max(0, (now - Date.parse(iso)) / 1000) : null;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// A fresh Idempotency-Key for one request. crypto.randomUUID needs a secure context
// (https or localhost); getRandomValues works on a plain-http hall network too.
export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- signing in ------------------------------------------------------------

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// A refusal or failure from the staff API, with the message to show.
export class ApiError extends Error {
  constructor(status, problem) {
    const code = problem?.code ?? (status ? `http_${status}` : "network");
    super(problem?.detail ?? code);
    this.status = status;
    this.code = code;
    this.problem = problem ?? {};
  }

  get text() {
    const key = `err.${this.code}`;
    const known = t(key, { ...this.problem, detail: this.problem.detail ?? "" });
    return known === key ? this.problem.detail ?? this.code : known;
  }
}

export async function api(method, path, body, extraHeaders = {}) {
  const headers = { Authorization: `Bearer ${token.get() ?? ""}`, ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (!response.ok) {
    const problem = type.includes("json") ? await response.json().catch(() => null) : null;
    throw new ApiError(response.status, problem);
  }
  return type.includes("json") ? response.json() : response;
}

// For a view whose loads can overlap (a date chosen while the first day is still out):
// each load takes a turn, and only the newest turn's answer is drawn, whatever order
// the answers come in. `const current = turns.take(); ... if (!current()) return;`
export function newestOnly() {
  let newest = 0;
  return {
    take() {
      const mine = ++newest;
      return () => mine === newest;
    },
  };
}

// Save what GET `path` answers as the file `filename` (e.g. a CSV); an ApiError if refused.
export async function download(path, filename) {
  const response = await api("GET", path);
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- the live socket -------------------------------------------------------

// Connects, signs in with the first message, reconnects with backoff.
// onFrame(frame) gets snapshot and overview frames; onRefused(reason) a bad token
// ("bad"), or too many wrong ones from this computer ("slowed", close 4429).
export function connectLive({ onFrame, onRefused, onStatus }) {
  let delay = 500;
  let socket = null;
  let stopped = false;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/staff/${encodeURIComponent(branch)}`);
    onStatus("connecting");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", token: token.get() ?? "" }));
    });
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "error") return;
      delay = 500;
      onStatus("live");
      onFrame(frame);
    });
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === 4401 || event.code === 4429) {
        stopped = true;
        onRefused(event.code === 4429 ? "slowed" : "bad");
        return;
      }
      onStatus("offline");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  open();
  return {
    stop() {
      stopped = true;
      socket?.close(1000);
    },
  };
}

// The sign-in form: resolves once a token is stored (the socket then checks it).
export function setupSignIn(form, input, onSignedIn) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    token.set(value);
    input.value = "";
    onSignedIn();
  });
}
