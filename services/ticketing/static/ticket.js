// The phone ticket page: the ticket's status, position and estimate, live.
//
// First the citizen API (GET the ticket) for the whole picture, then the
// display service's WebSocket /ws/tickets/{branch}/{ticket_id}, which sends
// {"type": "ticket", "seq", "number", "status", "position",
// "estimated_wait_s", "counter", "counter_name"} on connect and at every
// change. Lost connections come back with back-off; while it is down, each
// attempt also refreshes the ticket from the API, so the page never shows
// something older than the last attempt.

import { backoffMs, displaySocketBase, keepTogether, request, show, waitText } from "./common.js";
import { DANISH, applyLanguage, localName, phoneLanguage, words } from "./i18n.js";
import { quietHint } from "./quiet.js";

const t = words("ticket");
const ENDED = new Set(["finished", "no_show", "cancelled"]);
const PING_MS = 20000;
const SILENT_MS = 50000;

const body = document.body;
const branch = body.dataset.branch;
const ticketId = body.dataset.ticket;
const statusUrl = `/api/v1/branches/${encodeURIComponent(branch)}/tickets/${encodeURIComponent(ticketId)}`;
const $ = (id) => document.getElementById(id);

const page = {
  lang: DANISH, // the remembered one once its catalogue is in (start)
  ticket: null, // the API's view, updated by frames
  seq: -1,
  socket: null,
  attempt: 0,
  retryTimer: null,
  connected: false,
  unknown: false,
  service: null, // the ticket's service in the services list (its quiet hours)
  pinger: null,
  lastMessageAt: 0,
};

function counterName(ticket) {
  return keepTogether(ticket.counter_name || ticket.counter || "");
}

function render() {
  const lang = page.lang;
  applyLanguage(t, lang);
  const ticket = page.ticket;
  let main = "";
  let wait = "";
  let sub = "";
  let status = "loading";
  if (page.unknown) {
    status = "unknown";
    main = t(lang, "unknown");
    sub = t(lang, "unknown_sub");
    $("number").textContent = "–";
  } else if (!ticket) {
    main = t(lang, "loading");
  } else {
    status = ticket.status;
    $("number").textContent = ticket.number;
    $("service").textContent = localName(ticket.service_name, lang);
    const counter = counterName(ticket);
    if (status === "waiting") {
      main = ticket.position === 1 ? t(lang, "position_next") : ticket.position ? t(lang, "position", { n: ticket.position }) : "";
      const estimate = waitText(lang, ticket.estimated_wait_s);
      wait = estimate ? t(lang, "estimate", { wait: estimate }) : "";
      sub = t(lang, "waiting_where", { area: ticket.area_name });
    } else if (status === "called") {
      sub = t(lang, "called_sub");
    } else if (status === "serving") {
      main = t(lang, "serving", { counter });
    } else if (ENDED.has(status)) {
      main = t(lang, status);
      sub = t(lang, `${status}_sub`);
    }
    $("called-go").textContent = t(lang, "go", { counter });
    document.title = `${ticket.number} · ${status === "called" ? t(lang, "go", { counter }) : main}`;
  }
  body.dataset.status = status;
  // A long wait now: when the service is usually quiet, for another time.
  $("quiet").textContent = status === "waiting" ? quietHint(lang, page.service, ticket.estimated_wait_s) : "";
  show($("called"), status === "called");
  $("state-main").textContent = main;
  $("state-wait").textContent = wait;
  $("state-sub").textContent = sub;
  announce(status === "called" ? "" : [main, wait].filter(Boolean).join(". "));
  show($("leave"), status === "waiting" || status === "called");
  renderLive();
}

// The polite live region: written only when its sentence changes (a new
// position or estimate, another status), so a re-render says nothing twice.
// A call is announced by the "called" alert itself.
function announce(sentence) {
  const region = $("announce");
  if (region.textContent !== sentence) region.textContent = sentence;
}

function renderLive() {
  const ended = page.unknown || (page.ticket && ENDED.has(page.ticket.status));
  show($("live"), !ended && page.ticket !== null);
  $("live").dataset.state = page.connected ? "live" : "down";
  $("live-text").textContent = t(page.lang, page.connected ? "live" : "reconnecting");
}

// Apply a newer picture of the ticket (API answer or WebSocket frame).
function update(fields) {
  const seq = typeof fields.seq === "number" ? fields.seq : page.seq;
  if (seq < page.seq) return; // older than what is shown: a late frame
  const before = page.ticket ? page.ticket.status : null;
  page.seq = seq;
  page.ticket = { ...(page.ticket || {}), ...fields };
  if (page.ticket.status === "called" && before !== "called") {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
  }
  render();
  if (ENDED.has(page.ticket.status)) stopLive();
}

async function refresh() {
  try {
    const answer = await request(statusUrl, { timeoutMs: 8000 });
    if (answer.status === 200) update(answer.body);
    else if (answer.status === 404) {
      page.unknown = true;
      stopLive();
      render();
    }
    return answer.status;
  } catch {
    return 0;
  }
}

function stopLive() {
  clearTimeout(page.retryTimer);
  clearInterval(page.pinger);
  if (page.socket) {
    page.socket.onclose = null;
    page.socket.close(1000);
    page.socket = null;
  }
  page.connected = false;
}

function scheduleReconnect() {
  page.connected = false;
  renderLive();
  clearTimeout(page.retryTimer);
  page.retryTimer = setTimeout(connect, backoffMs(page.attempt++));
}

// A phone's connection can die without a close (NAT, radio sleep): ask the
// display for a "pong" now and then, and reconnect when nothing comes back.
function watchLiveness(socket) {
  clearInterval(page.pinger);
  page.pinger = setInterval(() => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - page.lastMessageAt > SILENT_MS) socket.close();
    else socket.send("ping");
  }, PING_MS);
}

function connect() {
  clearTimeout(page.retryTimer);
  if (page.unknown || (page.ticket && ENDED.has(page.ticket.status))) return;
  if (page.socket) return;
  const url = `${displaySocketBase(body.dataset)}/ws/tickets/${encodeURIComponent(branch)}/${encodeURIComponent(ticketId)}`;
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    scheduleReconnect();
    return;
  }
  page.socket = socket;
  page.lastMessageAt = Date.now();
  socket.onopen = () => watchLiveness(socket);
  socket.onmessage = (message) => {
    page.lastMessageAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.type !== "ticket") return; // "pong", or "error" before a 4404 close
    page.attempt = 0;
    page.connected = true;
    const { type, ...fields } = frame;
    update(fields);
  };
  socket.onclose = () => {
    clearInterval(page.pinger);
    page.socket = null;
    if (page.unknown || (page.ticket && ENDED.has(page.ticket.status))) return;
    refresh(); // meanwhile, the API's picture
    scheduleReconnect();
  };
}

async function cancel() {
  show($("cancel-error"), false);
  try {
    const answer = await request(statusUrl, { method: "DELETE", timeoutMs: 10000 });
    if (answer.status === 200) {
      show($("confirm"), false);
      show($("cancel"), true);
      await refresh();
      if (page.ticket && page.ticket.status !== "cancelled") update({ status: "cancelled" });
      return;
    }
    const code = answer.body && answer.body.code;
    $("cancel-error").textContent = t(page.lang, code === "ticket_in_service" ? "in_service" : "cancel_failed");
  } catch {
    $("cancel-error").textContent = t(page.lang, "cancel_failed");
  }
  show($("cancel-error"), true);
  refresh();
}

// The question takes the focus (on the safe answer) and Esc takes it back.
function openConfirm() {
  show($("cancel"), false);
  show($("confirm"), true);
  $("confirm-no").focus();
}
function closeConfirm() {
  show($("confirm"), false);
  show($("cancel"), true);
  $("cancel").focus();
}
$("cancel").addEventListener("click", openConfirm);
$("confirm-no").addEventListener("click", closeConfirm);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("confirm").hidden) closeConfirm();
});
$("confirm-yes").addEventListener("click", cancel);
// Phones freeze background tabs: coming back, reconnect at once.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !page.socket) {
    page.attempt = 0;
    refresh();
    connect();
  }
});

async function start() {
  page.lang = await phoneLanguage($("lang"), (lang) => {
    page.lang = lang;
    render();
  });
  render();
  for (let attempt = 0; ; attempt++) {
    const status = await refresh();
    if (status === 200 || status === 404) break;
    $("state-main").textContent = t(page.lang, "offline");
    await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
  }
  connect();
  loadService();
}

// Once: the ticket's service with its quiet hours (nothing lost if it fails).
async function loadService() {
  if (!page.ticket) return;
  try {
    const answer = await request(`/api/v1/branches/${encodeURIComponent(branch)}/services`, { timeoutMs: 8000 });
    if (answer.status !== 200) return;
    page.service = answer.body.services.find((s) => s.id === page.ticket.service) || null;
    render();
    body.dataset.serviceLoaded = "yes"; // for tests: the hint has had its chance
  } catch {
    // The hint is a nicety: the ticket works without it.
  }
}

start();
