// The kiosk: tap a service, get a number. One page, never reloads.
//
// Kiosk settings in the address: ?print=1 prints each ticket (80 mm slip),
// ?areas=service,kvik shows only those areas, in that order.
// A branch that takes bookings also has "Jeg har en tid" (checkin.js): the
// check-in's ticket is shown and printed here like any other.
// Waiting figures refresh every 30 s and after every ticket (no WebSocket:
// a half-minute-old queue length is fine on a kiosk); any failure shows a
// message and retries with back-off until the service answers again.

import {
  applyLanguage, backoffMs, clockText, postRetrying, request, show, translator, waitText, whenText,
} from "./common.js";
import { CHECKIN_WORDS, appointmentLine, setupCheckIn } from "./checkin.js";
import { quietHint } from "./quiet.js";

const WORDS = {
  da: {
    choose: "Tryk på det, du kommer for",
    loading: "Henter …",
    your_number: "Dit nummer",
    scan: "Scan koden og følg dit nummer på din telefon",
    done: "Færdig",
    back: "Tilbage",
    lang: "English",
    waiting_none: "Ingen venter",
    waiting_one: "1 venter",
    waiting_many: "{n} venter",
    full: "Ikke flere numre i dag",
    go_area: "Vent ved {area} – du bliver kaldt på skærmen",
    position: "Du er nr. {n} i køen",
    position_next: "Du er den næste",
    estimate: "Forventet ventetid: {wait}",
    back_in: "Skærmen går tilbage om {n} sek.",
    closed_title: "Skrankerne er lukket",
    closed: "De åbner igen {when}.",
    closed_no_hours: "Der er ingen åbningstider for skrankerne lige nu.",
    self_open: "Selvbetjeningen er åben til kl. {until}.",
    offline: "Ingen forbindelse til køsystemet – prøver igen …",
    retrying: "Forbindelsen svigter – prøver igen …",
    p_closed_title: "Skrankerne er lukket",
    p_closed: "De åbner {when}. Kom gerne igen.",
    p_full_title: "Ikke flere numre i dag",
    p_full: "Ventetiden rækker ud over lukketid kl. {time}. Spørg ved KVIK, eller kom igen en anden dag.",
    p_busy_title: "Mange numre lige nu",
    p_busy: "Vent et øjeblik, og prøv igen.",
    p_error_title: "Det gik ikke",
    p_error: "Vi kunne ikke trække et nummer. Prøv igen, eller spørg ved KVIK.",
    p_offline: "Køsystemet svarer ikke lige nu. Prøv igen om lidt, eller spørg ved KVIK.",
    printed_at: "Trukket {time}",
  },
  en: {
    choose: "Tap what you have come for",
    loading: "Loading …",
    your_number: "Your number",
    scan: "Scan the code to follow your number on your phone",
    done: "Done",
    back: "Back",
    lang: "Dansk",
    waiting_none: "No one waiting",
    waiting_one: "1 waiting",
    waiting_many: "{n} waiting",
    full: "No more numbers today",
    go_area: "Wait at {area} – you will be called on the screen",
    position: "You are number {n} in the queue",
    position_next: "You are next",
    estimate: "Estimated wait: {wait}",
    back_in: "Back to the start in {n} s",
    closed_title: "The desks are closed",
    closed: "They open again {when}.",
    closed_no_hours: "No opening hours for the desks are set right now.",
    self_open: "Self-service is open until {until}.",
    offline: "No connection to the queue system – retrying …",
    retrying: "The connection is failing – retrying …",
    p_closed_title: "The desks are closed",
    p_closed: "They open {when}. You are welcome back.",
    p_full_title: "No more numbers today",
    p_full: "The wait would run past closing time at {time}. Ask at KVIK, or come back another day.",
    p_busy_title: "Many numbers right now",
    p_busy: "Please wait a moment and try again.",
    p_error_title: "That did not work",
    p_error: "We could not issue a number. Try again, or ask at KVIK.",
    p_offline: "The queue system is not answering right now. Try again shortly, or ask at KVIK.",
    printed_at: "Issued {time}",
  },
};
// A service a manager paused: listed, not choosable, with why (and when it opens again).
const PAUSE_WORDS = {
  da: {
    paused: "Midlertidigt lukket",
    paused_until: "Midlertidigt lukket – åbner igen kl. {time}",
    p_paused_title: "Midlertidigt lukket",
  },
  en: {
    paused: "Temporarily closed",
    paused_until: "Temporarily closed – opens again at {time}",
    p_paused_title: "Temporarily closed",
  },
};
const t = translator({
  da: { ...WORDS.da, ...CHECKIN_WORDS.da, ...PAUSE_WORDS.da },
  en: { ...WORDS.en, ...CHECKIN_WORDS.en, ...PAUSE_WORDS.en },
});

function pausedText(lang, until) {
  return until ? t(lang, "paused_until", { time: until }) : t(lang, "paused");
}

const REFRESH_MS = 30000;
const BACK_AFTER_S = 15;
const ISSUE_GIVE_UP_MS = 20000;

const body = document.body;
const branch = body.dataset.branch;
const api = `/api/v1/branches/${encodeURIComponent(branch)}`;
const params = new URLSearchParams(location.search);
const printing = params.get("print") === "1";
const takesBookings = body.dataset.appointments === "yes";
const areaFilter = (params.get("areas") || "").split(",").map((a) => a.trim()).filter(Boolean);
const $ = (id) => document.getElementById(id);

const kiosk = {
  lang: "da",
  services: null, // the last GET /services answer
  ticket: null, // the ticket on screen
  busy: false,
  refreshTimer: null,
  backTimer: null,
  failures: 0,
};

const SCREENS = ["start", "issued", "problem", "checkin"];
function showScreen(name) {
  for (const screen of SCREENS) show($(screen), screen === name);
}

function applyWords() {
  applyLanguage(t, kiosk.lang, $("lang"));
  if (checkIn) checkIn.render();
  renderServices();
  if (kiosk.ticket) renderTicket();
}

function setOffline(text) {
  $("offline").textContent = text || "";
  show($("offline"), Boolean(text));
}

function waitingText(n) {
  if (!n) return t(kiosk.lang, "waiting_none");
  return n === 1 ? t(kiosk.lang, "waiting_one") : t(kiosk.lang, "waiting_many", { n });
}

function orderedAreas(data) {
  if (!areaFilter.length) return data.areas;
  return areaFilter.map((id) => data.areas.find((a) => a.id === id)).filter(Boolean);
}

function renderServices() {
  const data = kiosk.services;
  if (!data) return;
  show($("loading"), false);
  const closed = $("closed");
  const title = $("start-title");
  title.dataset.t = data.open ? "choose" : "closed_title";
  title.textContent = t(kiosk.lang, title.dataset.t);
  if (data.open) {
    show(closed, false);
  } else {
    $("closed-main").textContent = data.opens_at
      ? t(kiosk.lang, "closed", { when: whenText(kiosk.lang, data.opens_at) })
      : t(kiosk.lang, "closed_no_hours");
    $("closed-self").textContent = data.self_service.open
      ? t(kiosk.lang, "self_open", { until: data.self_service.until })
      : "";
    show(closed, true);
  }
  const holder = $("areas");
  holder.replaceChildren();
  for (const area of orderedAreas(data)) {
    const services = data.services.filter((s) => s.area === area.id);
    if (!services.length) continue;
    const group = document.createElement("section");
    group.className = "area";
    group.dataset.area = area.id;
    const heading = document.createElement("h2");
    heading.textContent = area.name;
    group.append(heading);
    const grid = document.createElement("div");
    grid.className = "buttons";
    for (const service of services) grid.append(serviceButton(service));
    group.append(grid);
    holder.append(group);
  }
}

function serviceButton(service) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "service";
  button.dataset.service = service.id;
  button.disabled = !service.open || kiosk.busy;
  const name = document.createElement("span");
  name.className = "service-name";
  name.textContent = service.name[kiosk.lang] || service.name.da;
  // Chromium has no Danish hyphenation: long single words get a smaller size instead.
  const length = name.textContent.length;
  if (length > 16) name.classList.add("longest");
  else if (length > 12) name.classList.add("long");
  const info = document.createElement("span");
  info.className = "service-info";
  if (service.reason === "would_exceed_closing") {
    info.textContent = t(kiosk.lang, "full");
  } else if (service.paused) {
    button.classList.add("paused");
    info.textContent = pausedText(kiosk.lang, service.paused_until);
  } else if (service.open) {
    const wait = waitText(kiosk.lang, service.estimated_wait_s);
    info.textContent = waitingText(service.waiting) + (wait && service.waiting ? ` · ${wait}` : "");
  }
  button.append(name, info);
  const quiet = service.open ? quietHint(kiosk.lang, service, service.estimated_wait_s) : "";
  if (quiet) {
    const hint = document.createElement("span");
    hint.className = "service-quiet";
    hint.textContent = quiet;
    button.append(hint);
  }
  button.addEventListener("click", () => issue(service));
  return button;
}

async function loadServices() {
  clearTimeout(kiosk.refreshTimer);
  let delay = REFRESH_MS;
  try {
    const answer = await request(`${api}/services`, { timeoutMs: 8000 });
    if (answer.status !== 200) throw new Error(`status ${answer.status}`);
    kiosk.services = answer.body;
    kiosk.failures = 0;
    setOffline(null);
    renderServices();
    tickClock(); // now in the branch's time zone
  } catch {
    // Keep the last list on screen (greyed by the banner) and try again soon.
    setOffline(t(kiosk.lang, "offline"));
    delay = Math.min(REFRESH_MS, backoffMs(kiosk.failures++, 2000));
  }
  // Two loads may overlap (after a ticket, then "Done"): the last one keeps the only timer.
  clearTimeout(kiosk.refreshTimer);
  kiosk.refreshTimer = setTimeout(loadServices, delay);
}

// One key for all attempts: a retry after a lost answer returns the same
// ticket instead of a second one.
function postTicket(serviceId) {
  return postRetrying(`${api}/tickets`, { service: serviceId, channel: "kiosk" }, {
    giveUpMs: ISSUE_GIVE_UP_MS,
    onRetry: () => setOffline(t(kiosk.lang, "retrying")),
  });
}

// From a tap (or a check-in's Enter) to the number on screen: "qms-tap-to-number".
function startTiming() {
  performance.clearMarks();
  performance.clearMeasures();
  performance.mark("qms-tap");
}

async function issue(service) {
  if (kiosk.busy) return;
  kiosk.busy = true;
  startTiming();
  for (const button of document.querySelectorAll("button.service")) button.disabled = true;
  document.querySelector(`button.service[data-service="${service.id}"]`)?.classList.add("pressed");
  const answer = await postTicket(service.id);
  setOffline(null);
  kiosk.busy = false;
  if (answer && answer.status === 201) {
    kiosk.ticket = answer.body;
    showIssued();
  } else {
    showProblem(answer);
  }
  loadServices();
}

function renderTicket() {
  const ticket = kiosk.ticket;
  const lang = kiosk.lang;
  $("number").textContent = ticket.number;
  $("slip-service").textContent = ticket.service_name ? ticket.service_name[lang] || ticket.service_name.da : ticket.service;
  $("slip-go").textContent = t(lang, "go_area", { area: ticket.area_name });
  $("slip-position").textContent = ticket.position
    ? (ticket.position === 1 ? t(lang, "position_next") : t(lang, "position", { n: ticket.position }))
    : "";
  const wait = waitText(lang, ticket.estimated_wait_s);
  $("slip-estimate").textContent = wait ? t(lang, "estimate", { wait }) : "";
  const zone = kiosk.services ? kiosk.services.timezone : undefined;
  $("slip-time").textContent = t(lang, "printed_at", { time: clockText(ticket.issued_at, zone) });
  $("slip-appointment").textContent = appointmentLine(t, lang, ticket, zone);
}

function showIssued() {
  const ticket = kiosk.ticket;
  renderTicket();
  $("slip").dataset.ticketId = ticket.ticket_id;
  const qr = $("qr");
  const qrLoaded = new Promise((resolve) => {
    qr.onload = resolve;
    qr.onerror = resolve;
  });
  qr.src = `/kiosk/${encodeURIComponent(branch)}/qr/${encodeURIComponent(ticket.ticket_id)}.svg`;
  showScreen("issued");
  requestAnimationFrame(() => {
    performance.mark("qms-number");
    performance.measure("qms-tap-to-number", "qms-tap", "qms-number");
  });
  if (printing) qrLoaded.then(() => window.print());
  startCountdown();
}

function startCountdown() {
  clearInterval(kiosk.backTimer);
  let left = BACK_AFTER_S;
  const tick = () => {
    $("countdown").textContent = t(kiosk.lang, "back_in", { n: left });
    if (left-- <= 0) backToStart();
  };
  tick();
  kiosk.backTimer = setInterval(tick, 1000);
}

function showProblem(answer) {
  const lang = kiosk.lang;
  const problem = answer ? answer.body || {} : null;
  let title = t(lang, "p_error_title");
  let text = t(lang, "p_error");
  if (!answer) {
    text = t(lang, "p_offline");
  } else if (problem.code === "closed") {
    const when = kiosk.services && kiosk.services.opens_at ? whenText(lang, kiosk.services.opens_at) : "";
    title = t(lang, "p_closed_title");
    text = when ? t(lang, "p_closed", { when }) : t(lang, "closed_no_hours");
  } else if (problem.code === "would_exceed_closing") {
    title = t(lang, "p_full_title");
    text = t(lang, "p_full", { time: clockText(problem.closes_at, kiosk.services?.timezone) });
  } else if (problem.code === "paused") {
    title = t(lang, "p_paused_title");
    text = pausedText(lang, problem.until ? clockText(problem.until, kiosk.services?.timezone) : null);
  } else if (problem.code === "rate_limited") {
    title = t(lang, "p_busy_title");
    text = t(lang, "p_busy");
  }
  $("problem-title").textContent = title;
  $("problem-text").textContent = text;
  $("problem").dataset.code = problem ? problem.code || "" : "offline";
  showScreen("problem");
  startCountdown();
}

function backToStart() {
  clearInterval(kiosk.backTimer);
  kiosk.ticket = null;
  kiosk.lang = "da"; // the next citizen starts in Danish
  if (checkIn) checkIn.close();
  showScreen("start");
  applyWords();
  loadServices();
}

function tickClock() {
  const zone = kiosk.services ? kiosk.services.timezone : undefined;
  $("clock").textContent = clockText(new Date().toISOString(), zone);
}

// Only where the branch takes bookings; usable while the desks are closed
// too (a citizen booked for 10:00 checks in at 09:50).
const checkIn = takesBookings
  ? setupCheckIn({
    api,
    branch,
    alphabet: body.dataset.codeAlphabet,
    t,
    lang: () => kiosk.lang,
    timeZone: () => (kiosk.services ? kiosk.services.timezone : undefined),
    showScreen: (name) => {
      clearInterval(kiosk.backTimer);
      showScreen(name);
    },
    startTiming,
    postCheckIn: (code) => postRetrying(`${api}/check-ins`, { code }, {
      giveUpMs: ISSUE_GIVE_UP_MS,
      onRetry: () => setOffline(t(kiosk.lang, "retrying")),
    }).finally(() => setOffline(null)),
    onTicket: (ticket) => {
      kiosk.ticket = ticket;
      showIssued();
      loadServices();
    },
    backToStart,
  })
  : null;
show($("appointment"), takesBookings);
if (checkIn) {
  $("have-appointment").addEventListener("click", () => checkIn.open());
  // A scan (or typing) on the start screen opens the check-in with what was typed.
  document.addEventListener("keydown", (event) => {
    if ($("start").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length !== 1 || !/[A-Za-z0-9]/.test(event.key)) return;
    event.preventDefault();
    checkIn.open(event.key);
  });
}

$("lang").addEventListener("click", () => {
  kiosk.lang = kiosk.lang === "da" ? "en" : "da";
  applyWords();
});
$("done").addEventListener("click", backToStart);
$("problem-back").addEventListener("click", backToStart);
window.addEventListener("online", loadServices);

applyWords();
tickClock();
setInterval(tickClock, 10000);
loadServices();
