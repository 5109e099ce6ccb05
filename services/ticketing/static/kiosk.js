// The kiosk: tap a service, get a number. One page, never reloads.
//
// Kiosk settings in the address: ?print=1 prints each ticket (80 mm slip),
// ?areas=service,kvik shows only those areas, in that order.
// A branch that takes bookings also has "Jeg har en tid" (checkin.js): the
// check-in's ticket is shown and printed here like any other.
// Waiting figures refresh every 30 s and after every ticket (a half-minute-old
// queue length is fine on a kiosk); any failure shows a message and retries
// with back-off until the service answers again. A manager's pause or resume
// must not wait that long: the kiosk follows the display's WebSocket of each
// area it shows, whose `waiting` frames carry every service's pause, and
// re-reads the list when they disagree with it (kiosk_live.js). Without the
// display the kiosk works as before, on the poll alone.

import { followPauses } from "./kiosk_live.js";
import { backoffMs, clockText, postRetrying, request, show, timeText, waitText, whenText } from "./common.js";
import { appointmentLine, setupCheckIn } from "./checkin.js";
import {
  DANISH, applyLanguage, languageButtons, loadLanguagesRetrying, localName, localNameLang, words,
} from "./i18n.js";
import { choiceGroups, pausedText } from "./kiosk_choices.js";
import { fitNames } from "./kiosk_fit.js";

const t = words("kiosk", "checkin");

const REFRESH_MS = 30000;
const BACK_AFTER_S = 15;
// A citizen who walks away from the start screen: the next one finds it in Danish.
const IDLE_RESET_MS = 30000;
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
  lang: DANISH,
  services: null, // the last GET /services answer
  ticket: null, // the ticket on screen
  choseOther: false, // the ticket came from "Andet / ved ikke"
  busy: false,
  refreshTimer: null,
  backTimer: null,
  idleTimer: null,
  failures: 0,
};

const SCREENS = ["start", "issued", "problem", "checkin"];
function showScreen(name) {
  for (const screen of SCREENS) show($(screen), screen === name);
  if (name === "start") fitNames($("areas"));
}

function applyWords() {
  applyLanguage(t, kiosk.lang);
  languageButtons($("langs"), kiosk.lang, chooseLanguage);
  if (checkIn) checkIn.render();
  renderServices();
  if (kiosk.ticket) renderTicket();
}

function setOffline(text) {
  $("offline").textContent = text || "";
  show($("offline"), Boolean(text));
}

function chooseLanguage(lang) {
  kiosk.lang = lang;
  applyWords();
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
      ? t(kiosk.lang, "self_open", { until: timeText(kiosk.lang, data.self_service.until) })
      : "";
    show(closed, true);
  }
  const holder = $("areas");
  holder.replaceChildren(...choiceGroups(data, orderedAreas(data), {
    lang: kiosk.lang, busy: kiosk.busy, choose: issue,
  }));
  fitNames(holder);
}

// The areas whose buttons are on screen (the "other" service's area included).
function shownAreas(data) {
  const ids = new Set(orderedAreas(data).map((area) => area.id));
  const other = data.services.find((s) => s.id === data.other_service);
  if (other) ids.add(other.area);
  return [...ids].filter((id) => data.services.some((s) => s.area === id));
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
    pauses.follow(shownAreas(answer.body));
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

async function issue(service, other) {
  if (kiosk.busy) return;
  kiosk.busy = true;
  kiosk.choseOther = other;
  startTiming();
  for (const button of document.querySelectorAll("button.service")) button.disabled = true;
  const tapped = other ? "button.other" : `button.service[data-service="${service.id}"]`;
  document.querySelector(tapped)?.classList.add("pressed");
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

const pauses = followPauses({
  branch,
  dataset: body.dataset,
  shown: () => kiosk.services,
  reload: () => loadServices(),
});

function renderTicket() {
  const ticket = kiosk.ticket;
  const lang = kiosk.lang;
  $("number").textContent = ticket.number;
  const service = $("slip-service");
  service.textContent = kiosk.choseOther
    ? t(lang, "other")
    : localName(ticket.service_name, lang) || ticket.service;
  service.lang = kiosk.choseOther ? lang : localNameLang(ticket.service_name, lang);
  $("slip-go").textContent = t(lang, "go_area", { area: ticket.area_name });
  $("slip-position").textContent = ticket.position
    ? (ticket.position === 1 ? t(lang, "position_next") : t(lang, "position", { n: ticket.position }))
    : "";
  const wait = waitText(lang, ticket.estimated_wait_s);
  $("slip-estimate").textContent = wait ? t(lang, "estimate", { wait }) : "";
  const zone = kiosk.services ? kiosk.services.timezone : undefined;
  $("slip-time").textContent = t(lang, "printed_at", { time: clockText(ticket.issued_at, zone, lang) });
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
  $("done").focus(); // the screen the focus was on is gone: keyboard users go on from "Færdig"
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
    text = t(lang, "p_full", { time: clockText(problem.closes_at, kiosk.services?.timezone, lang) });
  } else if (problem.code === "paused") {
    title = t(lang, "p_paused_title");
    text = pausedText(lang, problem.until ? clockText(problem.until, kiosk.services?.timezone, lang) : null);
  } else if (problem.code === "rate_limited") {
    title = t(lang, "p_busy_title");
    text = t(lang, "p_busy");
  }
  $("problem-title").textContent = title;
  $("problem-text").textContent = text;
  $("problem").dataset.code = problem ? problem.code || "" : "offline";
  showScreen("problem");
  $("problem-back").focus();
  startCountdown();
}

function backToStart() {
  clearInterval(kiosk.backTimer);
  kiosk.ticket = null;
  kiosk.choseOther = false;
  kiosk.lang = DANISH; // the next citizen starts in Danish
  if (checkIn) checkIn.close();
  showScreen("start");
  applyWords();
  $("start-title").focus({ preventScroll: true });
  loadServices();
}

function tickClock() {
  const zone = kiosk.services ? kiosk.services.timezone : undefined;
  $("clock").textContent = clockText(new Date().toISOString(), zone, kiosk.lang);
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
      kiosk.choseOther = false;
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

// Any touch or key restarts the wait; the other screens go back on their own timers.
function restartIdle() {
  clearTimeout(kiosk.idleTimer);
  kiosk.idleTimer = setTimeout(() => {
    if ($("start").hidden || kiosk.lang === DANISH) return;
    kiosk.lang = DANISH;
    applyWords();
  }, IDLE_RESET_MS);
}
for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, restartIdle, true);

$("done").addEventListener("click", backToStart);
$("problem-back").addEventListener("click", backToStart);
window.addEventListener("online", loadServices);
window.addEventListener("resize", () => fitNames($("areas")));

// The catalogues first (the page's Danish stays on screen until then).
await loadLanguagesRetrying(undefined, () => show($("offline"), true)); // its Danish words are in the page
setOffline(null);
applyWords();
tickClock();
setInterval(tickClock, 10000);
loadServices();
