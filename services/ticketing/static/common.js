// Shared by the kiosk and the phone pages: formatting, requests, back-off
// (the words are in i18n.js and its catalogues).
// Plain ES module, no build step.

import { localeOf, phrase } from "./i18n.js";

// An estimated wait in words: whole minutes, rounded up; null when unknown.
// Lower case: it always follows other words ("3 venter · ca. 9 min.").
export function waitText(lang, seconds) {
  if (seconds === null || seconds === undefined) return null;
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 0) return phrase(lang, "wait_under");
  if (minutes < 60) return phrase(lang, "wait_min", { m: minutes });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? phrase(lang, "wait_hours_min", { h: hours, m: rest }) : phrase(lang, "wait_hours", { h: hours });
}

// A weekday's name ("mon" from the API) in `lang`, as it stands mid-sentence.
function weekdayName(lang, weekday) {
  const monday = Date.UTC(2024, 0, 1); // a Monday
  const index = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].indexOf(weekday);
  return new Intl.DateTimeFormat(localeOf(lang), { weekday: "long", timeZone: "UTC" })
    .format(new Date(monday + index * 86400000));
}

// A local "HH:MM" in `lang`'s digits ("10:00", Arabic "١٠:٠٠"); Danish keeps the colon.
export function timeText(lang, hhmm) {
  const [hour, minute] = String(hhmm).split(":").map(Number);
  const at = new Date(Date.UTC(2024, 0, 1, hour, minute));
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" };
  return new Intl.DateTimeFormat(localeOf(lang), options).format(at).replace(".", ":");
}

// "i dag kl. 10:00" / "tomorrow at 10:00" / "mandag kl. 10:00", from the API's
// moment {time, weekday, in_days} (already in the branch's time zone).
export function whenText(lang, moment) {
  if (!moment) return "";
  const time = timeText(lang, moment.time);
  if (moment.in_days === 0) return phrase(lang, "today_at", { time });
  if (moment.in_days === 1) return phrase(lang, "tomorrow_at", { time });
  return phrase(lang, "weekday_at", { weekday: weekdayName(lang, moment.weekday), time });
}

// A clock time ("15:00") of an ISO instant in the branch's time zone, in `lang`'s digits.
export function clockText(iso, timeZone, lang = "da") {
  if (!iso) return "";
  return timeText(lang, localParts(iso, timeZone).time);
}

// The parts of an instant in the branch's time zone: {date: "2025-05-16",
// time: "10:00", weekday: "fri"}.
export function localParts(iso, timeZone) {
  const options = {
    year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  };
  if (timeZone) options.timeZone = timeZone;
  const parts = {};
  for (const part of new Intl.DateTimeFormat("en-US", options).formatToParts(new Date(iso))) {
    parts[part.type] = part.value;
  }
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    weekday: parts.weekday.slice(0, 3).toLowerCase(),
  };
}

// Whole days from local date `from` to local date `to` ("YYYY-MM-DD" both).
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T12:00:00Z`) - Date.parse(`${from}T12:00:00Z`)) / 86400000);
}

// The local date `days` after `date` ("YYYY-MM-DD").
export function addDays(date, days) {
  return new Date(Date.parse(`${date}T12:00:00Z`) + days * 86400000).toISOString().slice(0, 10);
}

// An instant as whenText wants it ({time, weekday, in_days}), seen from now.
export function momentOf(iso, timeZone, now = new Date()) {
  const at = localParts(iso, timeZone);
  return { time: at.time, weekday: at.weekday, in_days: daysBetween(localParts(now, timeZone).date, at.date) };
}

// A local date ("2025-05-16") in words: "fredag 16. maj" / "Friday 16 May"
// (with the year when it is not this year's).
export function dateText(lang, date, thisYear) {
  const options = { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
  if (thisYear && date.slice(0, 4) !== String(thisYear)) options.year = "numeric";
  return new Intl.DateTimeFormat(localeOf(lang), options)
    .format(new Date(`${date}T12:00:00Z`))
    .replace(",", "");
}

// An instant in words from now, in the branch's zone: "i dag kl. 09:45",
// "i morgen kl. 09:45", within the week "torsdag kl. 09:45", else with the
// date, "torsdag 16. maj kl. 09:45".
export function whenAtText(lang, iso, timeZone, now = new Date()) {
  const moment = momentOf(iso, timeZone, now);
  if (moment.in_days >= 0 && moment.in_days < 7) return whenText(lang, moment);
  const date = dateText(lang, localParts(iso, timeZone).date, localParts(now, timeZone).date.slice(0, 4));
  return phrase(lang, "date_at", { date, time: timeText(lang, moment.time) });
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

// Where this page reaches the display service's WebSockets, from the `data-display-*`
// attributes the server put on <body> (QMS_PUBLIC_DISPLAY_URL: unset, empty or a URL).
export function displaySocketBase(dataset) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  if (dataset.displayMode === "url") return dataset.displayUrl.replace(/^http/, "ws");
  if (dataset.displayMode === "same-origin") return `${scheme}//${location.host}`;
  return `${scheme}//${location.hostname}:${dataset.displayPort}`;
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

// POST `body` with one Idempotency-Key for every attempt, retrying network
// failures and transient statuses with back-off for up to `giveUpMs`: a retry
// after a lost answer gets the first answer again instead of a second ticket
// or booking. Resolves to the answer, or null when it gave up.
export async function postRetrying(url, body, { giveUpMs = 20000, onRetry = () => {} } = {}) {
  const key = newKey();
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await request(url, {
        method: "POST",
        body,
        headers: { "Idempotency-Key": key },
        timeoutMs: 8000,
      });
      if (!transient(answer.status)) return answer;
    } catch {
      // Network failure or time-out: retry below with the same key.
    }
    if (performance.now() - started > giveUpMs) return null;
    onRetry();
    await sleep(backoffMs(attempt, 500, 4000));
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
