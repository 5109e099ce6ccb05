// The booking's page (/a/{branch}/{appointment_id}): the code to check in
// with, the time, a QR code of this page (the kiosk's scanner reads it), the
// calendar file, and cancelling.
//
// From GET /api/v1/branches/{branch}/appointments/{id}: {"code", "service",
// "start", "end", "checkin_from", "checkin_until", "status", and once checked
// in "ticket_id", "number"}; status is booked, checked_in, cancelled or
// missed. While booked it asks again every 30 s (and when the phone comes
// back to the page), so a check-in at the kiosk shows here with its number.

import { backoffMs, clockText, dateText, localParts, request, show } from "./common.js";
import { DANISH, applyLanguage, localName, phoneLanguage, words } from "./i18n.js";

const t = words("booking");
const REFRESH_MS = 30000;

const body = document.body;
const branch = body.dataset.branch;
const appointmentId = body.dataset.appointment;
const zone = body.dataset.timezone;
const services = JSON.parse(body.dataset.services || "[]");
const base = `/api/v1/branches/${encodeURIComponent(branch)}/appointments/${encodeURIComponent(appointmentId)}`;
const pageBase = `/a/${encodeURIComponent(branch)}/${encodeURIComponent(appointmentId)}`;
const $ = (id) => document.getElementById(id);

const page = {
  lang: DANISH, // the remembered one once its catalogue is in (below)
  booking: null,
  unknown: !appointmentId, // the server found the address malformed
  offline: false,
  timer: null,
  cancelError: null,
};

function serviceName(id) {
  const service = services.find((s) => s.id === id);
  return service ? localName(service.name, page.lang) : id;
}

// "Fredag 16. maj kl. 10:00–10:15", the time never broken over two lines.
function renderWhen(booking) {
  const element = $("when");
  if (!booking) {
    element.replaceChildren();
    return;
  }
  const thisYear = localParts(new Date(), zone).date.slice(0, 4);
  const day = dateText(page.lang, localParts(booking.start, zone).date, thisYear);
  const time = document.createElement("span");
  time.className = "nowrap";
  time.textContent = t(page.lang, "when_time", {
    start: clockText(booking.start, zone, page.lang),
    end: clockText(booking.end, zone, page.lang),
  });
  element.replaceChildren(`${day.charAt(0).toUpperCase()}${day.slice(1)} `, time);
}

function render() {
  const lang = page.lang;
  applyLanguage(t, lang);
  const booking = page.booking;
  const status = page.unknown ? "unknown" : booking ? booking.status : "loading";
  body.dataset.status = status;
  let main = "";
  let sub = "";
  if (status === "loading") {
    main = t(lang, page.offline ? "offline" : "loading");
  } else if (status === "unknown") {
    main = t(lang, "unknown");
    sub = t(lang, "unknown_sub");
  } else {
    main = t(lang, status, { number: booking.number || "" });
    sub = t(lang, `${status}_sub`, {
      from: clockText(booking.checkin_from, zone, page.lang),
      until: clockText(booking.checkin_until, zone, page.lang),
    });
  }
  $("state-main").textContent = main;
  $("state-sub").textContent = sub;

  const known = Boolean(booking) && !page.unknown;
  const open = known && (status === "booked" || status === "checked_in");
  $("service").textContent = known ? serviceName(booking.service) : "";
  renderWhen(known ? booking : null);
  $("code").textContent = known ? booking.code : "";
  show($("code-box"), known);
  show($("qr-box"), open);
  $("qr").alt = t(lang, "qr_alt");
  show($("calendar"), status === "booked");
  show($("leave"), status === "booked");
  show($("book-again"), status === "cancelled" || status === "missed" || status === "unknown");
  const ticketLink = $("ticket-link");
  if (status === "checked_in" && booking.ticket_id) {
    ticketLink.href = `/t/${encodeURIComponent(branch)}/${encodeURIComponent(booking.ticket_id)}`;
  }
  show(ticketLink, status === "checked_in" && Boolean(booking.ticket_id));
  $("cancel-error").textContent = page.cancelError ? t(lang, page.cancelError) : "";
  show($("cancel-error"), page.cancelError !== null);
  document.title = known ? `${booking.code} · ${main}` : main;
}

// The booking from the API: 200 shows it, 404 says it does not exist; a
// failure keeps what is shown. Returns the status (0: no answer).
async function refresh() {
  if (page.unknown) return 404;
  let answer = null;
  try {
    answer = await request(base, { timeoutMs: 8000 });
  } catch {
    answer = null;
  }
  const status = answer ? answer.status : 0;
  if (status === 200) {
    page.booking = answer.body;
    page.offline = false;
  } else if (status === 404) {
    page.unknown = true;
  } else {
    page.offline = true;
  }
  render();
  return status;
}

function schedule(ms) {
  clearTimeout(page.timer);
  const booked = page.booking && page.booking.status === "booked";
  if (page.unknown || (page.booking && !booked)) return; // nothing more will change here
  page.timer = setTimeout(tick, ms);
}

let failures = 0;
async function tick() {
  const status = await refresh();
  failures = status === 200 || status === 404 ? 0 : failures + 1;
  schedule(failures ? backoffMs(failures - 1) : REFRESH_MS);
}

async function cancel() {
  page.cancelError = null;
  let answer = null;
  try {
    answer = await request(base, { method: "DELETE", timeoutMs: 10000 });
  } catch {
    answer = null;
  }
  const code = answer && answer.body ? answer.body.code : null;
  if (answer && (answer.status === 200 || code === "appointment_cancelled")) {
    show($("confirm"), false);
    show($("cancel"), true);
    if (answer.body && answer.body.status && page.booking) page.booking = { ...page.booking, ...answer.body };
    await refresh();
    return;
  }
  if (code === "appointment_checked_in") page.cancelError = "cancel_checked_in";
  else if (code === "too_late") page.cancelError = "cancel_too_late";
  else page.cancelError = "cancel_failed";
  await refresh();
}

$("cancel").addEventListener("click", () => {
  page.cancelError = null;
  render();
  show($("cancel"), false);
  show($("confirm"), true);
  $("confirm-no").focus();
});
$("confirm-no").addEventListener("click", () => {
  show($("confirm"), false);
  show($("cancel"), true);
  $("cancel").focus();
});
$("confirm-yes").addEventListener("click", cancel);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") tick();
});

if (!page.unknown) {
  $("qr").src = `${pageBase}/qr.svg`;
  $("calendar").href = `${base}/calendar.ics`;
}
page.lang = await phoneLanguage($("lang"), (lang) => {
  page.lang = lang;
  render();
});
render();
tick();
