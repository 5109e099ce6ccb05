// Shared by the kiosk and the phone page: words, formatting, requests, back-off.
// Plain ES module, no build step.

export const WEEKDAYS = {
  da: { mon: "mandag", tue: "tirsdag", wed: "onsdag", thu: "torsdag", fri: "fredag", sat: "lørdag", sun: "søndag" },
  en: { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" },
};

// Fill "{name}" placeholders of a phrase.
export function fill(text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

// A translator over a {da: {...}, en: {...}} dictionary; Danish is the fallback.
export function translator(words) {
  return (lang, key, vars) => fill((words[lang] && words[lang][key]) || words.da[key] || key, vars);
}

// An estimated wait in words: whole minutes, rounded up; null when unknown.
export function waitText(lang, seconds) {
  if (seconds === null || seconds === undefined) return null;
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 0) return lang === "en" ? "under 1 min" : "under 1 min.";
  if (minutes < 60) return lang === "en" ? `About ${minutes} min` : `Ca. ${minutes} min.`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const h = lang === "en" ? `${hours} h` : `${hours} t.`;
  const m = rest ? (lang === "en" ? ` ${rest} min` : ` ${rest} min.`) : "";
  return (lang === "en" ? "About " : "Ca. ") + h + m;
}

// "i dag kl. 10:00" / "tomorrow at 10:00" / "mandag kl. 10:00", from the API's
// moment {time, weekday, in_days} (already in the branch's time zone).
export function whenText(lang, moment) {
  if (!moment) return "";
  if (lang === "en") {
    if (moment.in_days === 0) return `today at ${moment.time}`;
    if (moment.in_days === 1) return `tomorrow at ${moment.time}`;
    return `${WEEKDAYS.en[moment.weekday]} at ${moment.time}`;
  }
  if (moment.in_days === 0) return `i dag kl. ${moment.time}`;
  if (moment.in_days === 1) return `i morgen kl. ${moment.time}`;
  return `${WEEKDAYS.da[moment.weekday]} kl. ${moment.time}`;
}

// A clock time ("15:00") of an ISO instant in the branch's time zone.
export function clockText(iso, timeZone) {
  if (!iso) return "";
  const options = { hour: "2-digit", minute: "2-digit", hour12: false };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat("da-DK", options).format(new Date(iso)).replace(".", ":");
}

// A fresh random key for one tap. crypto.randomUUID needs a secure context
// (https or localhost); getRandomValues works on a plain-http hall network too.
export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Back-off before retry number `attempt` (0, 1, ...): doubling, capped, with
// jitter so a hall of phones does not reconnect in step after a restart.
export function backoffMs(attempt, firstMs = 1000, maxMs = 30000) {
  const base = Math.min(maxMs, firstMs * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// fetch with a time-out; resolves to {status, body, headers}. A network
// failure or time-out rejects (the caller decides whether to retry).
export async function request(url, { method = "GET", body, headers = {}, timeoutMs = 10000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const init = { method, headers: { Accept: "application/json", ...headers }, signal: controller.signal, cache: "no-store" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, init);
    let parsed = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, headers: response.headers };
  } finally {
    clearTimeout(timer);
  }
}

// Statuses worth retrying with the same request: the service or routing is
// briefly away (restart, fail-over), or a proxy in front says so.
export function transient(status) {
  return status === 502 || status === 503 || status === 504;
}

// "Skranke 1" must not break before its "1": glue a short last word to the one before.
export function keepTogether(name) {
  return String(name || "").replace(/ (\S{1,3})$/, "\u00a0$1");
}

export function show(element, visible) {
  element.hidden = !visible;
}
