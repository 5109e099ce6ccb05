// Hall screen: follows /ws/display/{branch}/{area}, shows who is called to which
// desk, and announces each call (display-voice.js). Never reloads: on a lost
// connection it shows "offline", reconnects with back-off, and starts over from
// the snapshot the server sends on connect. The clock and the opening time are
// the branch's, whatever zone the screen's own clock is set to.
import { createAnnouncer } from "./display-voice.js";

(() => {
  const [branch, area] = location.pathname.split("/").filter(Boolean).slice(-2).map(decodeURIComponent);

  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 10000;
  const GONE_RETRY_MS = 60000; // unknown branch/area (4404): maybe the configuration changes
  const PING_EVERY_MS = 10000; // our own liveness check: a dead network path closes nothing
  const SILENT_LIMIT_MS = 25000;
  const CATCH_UP_WITHIN_MS = 120000; // after a short outage, announce the calls we missed
  const CATCH_UP_MAX = 3;

  const $ = (id) => document.getElementById(id);

  // ---- what the screen shows --------------------------------------------------

  const view = { seq: 0, serving: [], recent: [], waiting: {}, hours: null, zone: undefined };
  const FLASH_MS = 8000;
  let flash = { key: null, since: 0 };

  const callKey = (call) => `${call.number}@${call.counter}@${call.at}`;
  const isCurrent = (call) => view.serving.some((s) => s.number === call.number && s.counter === call.counter);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render() {
    const recent = $("recent");
    recent.replaceChildren(
      ...view.recent.map((call, index) => {
        const row = el("li");
        row.classList.toggle("newest", index === 0);
        row.classList.toggle("current", isCurrent(call));
        const flashing = performance.now() - flash.since;
        if (index === 0 && callKey(call) === flash.key && flashing < FLASH_MS) {
          // Re-rendered rows continue the flash where it was, not from the start.
          row.classList.add("flash");
          row.style.animationDelay = `-${Math.round(flashing)}ms`;
        }
        row.dataset.number = call.number;
        row.append(el("span", "number", call.number), el("span", "arrow", "→"), el("span", "desk", call.counter_name));
        return row;
      }),
    );
    $("no-calls").hidden = view.recent.length > 0;

    const serving = $("serving");
    const desks = [...view.serving].sort((a, b) => a.counter_name.localeCompare(b.counter_name, "da", { numeric: true }));
    serving.replaceChildren(
      ...desks.map((s) => {
        const row = el("li");
        row.dataset.counter = s.counter;
        row.append(el("span", "desk", s.counter_name), el("span", "number", s.number));
        return row;
      }),
    );
    $("no-serving").hidden = desks.length > 0;

    const waiting = $("waiting");
    waiting.replaceChildren(
      ...Object.entries(view.waiting).map(([service, w]) => {
        const row = el("li");
        row.dataset.service = service;
        row.append(el("span", "name", `${w.name_da} `), el("span", "en", `${w.name_en} `), el("span", "count", String(w.count)));
        if (w.count > 0 && w.estimated_wait_s != null) {
          row.append(el("span", "eta", ` · ca. ${Math.max(1, Math.round(w.estimated_wait_s / 60))} min`));
        }
        return row;
      }),
    );
    fitRecent(); // last: the waiting figures take their room first
  }

  // Only whole rows: a row the section cannot show in full is hidden, with
  // every row after it (older calls), never clipped to a sliver.
  function fitRecent() {
    const rows = [...$("recent").children];
    rows.forEach((row) => { row.hidden = false; });
    const bottom = $("recent").closest("section").getBoundingClientRect().bottom;
    const overflow = rows.findIndex((row) => row.getBoundingClientRect().bottom > bottom + 0.5);
    if (overflow >= 0) rows.slice(overflow).forEach((row) => { row.hidden = true; });
  }

  // ---- the branch's clock and hours -------------------------------------------

  // As the kiosk shows a time: "09:05", in the branch's zone.
  function clockText(date, timeZone) {
    const options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone };
    return new Intl.DateTimeFormat("da-DK", options).format(date).replace(".", ":");
  }

  function localDate(date, timeZone) {
    const options = { year: "numeric", month: "2-digit", day: "2-digit", timeZone };
    return new Intl.DateTimeFormat("en-CA", options).format(date); // "2025-05-16"
  }

  // "i morgen kl. 10:00" / "tomorrow at 10:00", from the branch's local days.
  function whenText(lang, iso, timeZone, now) {
    const at = new Date(iso);
    const time = clockText(at, timeZone);
    const days = Math.round((Date.parse(localDate(at, timeZone)) - Date.parse(localDate(now, timeZone))) / 86400000);
    const da = lang === "da";
    if (days <= 0) return da ? `i dag kl. ${time}` : `today at ${time}`;
    if (days === 1) return da ? `i morgen kl. ${time}` : `tomorrow at ${time}`;
    const options = { weekday: "long", timeZone };
    if (days >= 7) Object.assign(options, { day: "numeric", month: "long" });
    const day = new Intl.DateTimeFormat(da ? "da-DK" : "en-GB", options).format(at).replace(",", "");
    return da ? `${day} kl. ${time}` : `${day} at ${time}`;
  }

  function renderHours() {
    const hours = view.hours;
    const closed = hours !== null && !hours.open;
    document.body.dataset.hours = hours === null ? "unknown" : closed ? "closed" : "open";
    $("closed").hidden = !closed;
    if (!closed) return;
    const now = new Date();
    $("opens-da").textContent = hours.opens_at ? `Åbner ${whenText("da", hours.opens_at, view.zone, now)}` : "";
    $("opens-en").textContent = hours.opens_at ? `Opens ${whenText("en", hours.opens_at, view.zone, now)}` : "";
  }

  function tickClock() {
    // Nothing until the branch's zone is known: the screen's own zone may be another.
    $("clock").textContent = view.zone ? clockText(new Date(), view.zone) : "";
    renderHours(); // "i morgen" becomes "i dag" at midnight
  }

  function onSnapshot(frame, reconnected) {
    const known = new Set(view.recent.map(callKey));
    const newestKnown = view.recent.length ? Date.parse(view.recent[0].at) : -Infinity;
    $("area-name").textContent = frame.area?.name ?? area;
    $("branch-name").textContent = frame.branch?.name ?? branch;
    document.title = `${frame.area?.name ?? area} · Kaldeskærm`;
    Object.assign(view, {
      seq: frame.seq, serving: frame.serving, recent: frame.recent, waiting: frame.waiting,
      hours: frame.hours ?? null, zone: frame.branch?.timezone,
    });
    tickClock();
    if (reconnected) {
      // Calls made while we were away for a moment are still announced, oldest first.
      const missed = frame.recent
        .filter((call) => !known.has(callKey(call)) && Date.parse(call.at) > newestKnown)
        .slice(0, CATCH_UP_MAX)
        .reverse();
      missed.forEach((call) => announce(call, "called"));
      if (missed.length) flash = { key: callKey(frame.recent[0]), since: performance.now() };
    }
    render();
  }

  function onCall(frame) {
    const call = { number: frame.number, counter: frame.counter, counter_name: frame.counter_name, at: frame.at };
    view.recent = [call, ...view.recent.filter((c) => c.number !== call.number)].slice(0, 8);
    if (frame.type === "called") {
      // A desk holds one ticket and a ticket is at one desk.
      view.serving = view.serving.filter((s) => s.counter !== call.counter && s.number !== call.number);
      view.serving.push({ ...call, status: "called" });
    }
    flash = { key: callKey(call), since: performance.now() };
    render();
    announce(call, frame.type);
  }

  function onCleared(frame) {
    view.serving = view.serving.filter((s) => !(s.counter === frame.counter && s.number === frame.number));
    render();
  }

  // ---- announcements (display-voice.js) ------------------------------------

  const announcer = createAnnouncer({
    statusUrl: new URL("../status", location.href),
    ttsUrl: (text) => new URL(`../tts?text=${encodeURIComponent(text)}`, location.href),
    clipUrl: (word) => new URL(`../_static/voice/${word}.wav`, location.href),
    onVoice: (voice) => tellVoice(voice),
  });
  window.qmsAnnouncements = announcer.log; // test hook: every announcement and how it went
  const announce = (call, kind) => announcer.announce(call, kind);

  // ---- the connection -----------------------------------------------------------

  const socketUrl = new URL(`../../ws/display/${encodeURIComponent(branch)}/${encodeURIComponent(area)}`, location.href);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
  let attempt = 0;
  let everConnected = false;
  let lostAt = null;
  let socket = null;
  let pinger = null;

  function setConnection(state, da, en) {
    document.body.dataset.connection = state;
    const status = $("status");
    status.replaceChildren(el("span", "da", da), " ", el("span", "en", en));
  }

  function connect() {
    const ws = new WebSocket(socketUrl);
    socket = ws;
    let lastHeard = Date.now();
    let goneFor = null;
    ws.onmessage = (message) => {
      lastHeard = Date.now();
      const frame = JSON.parse(message.data);
      switch (frame.type) {
        case "snapshot": {
          const reconnected = everConnected && lostAt !== null && Date.now() - lostAt < CATCH_UP_WITHIN_MS;
          everConnected = true;
          attempt = 0;
          lostAt = null;
          setConnection("online", "", "");
          onSnapshot(frame, reconnected);
          break;
        }
        case "called":
        case "recalled":
          onCall(frame);
          break;
        case "cleared":
          onCleared(frame);
          break;
        case "waiting":
          view.waiting = frame.waiting;
          render();
          break;
        case "hours":
          view.hours = { open: frame.open, closes_at: frame.closes_at, opens_at: frame.opens_at };
          renderHours();
          break;
        case "error":
          goneFor = frame;
          break;
        default: // "pong", and frame types this page does not know yet
      }
      if (frame.seq !== undefined) view.seq = Math.max(view.seq, frame.seq);
    };
    ws.onopen = () => {
      tellVoice(announcer.voice());
      pinger = setInterval(() => {
        if (Date.now() - lastHeard > SILENT_LIMIT_MS) ws.close(); // then onclose reconnects
        else if (ws.readyState === WebSocket.OPEN) ws.send("ping");
      }, PING_EVERY_MS);
    };
    ws.onclose = (event) => {
      clearInterval(pinger);
      if (socket !== ws) return;
      if (lostAt === null) lostAt = Date.now();
      if (event.code === 4404) {
        setConnection("gone", `Ukendt skærm: ${goneFor?.detail ?? ""}`, "Unknown screen");
        setTimeout(connect, GONE_RETRY_MS);
        return;
      }
      setConnection("offline", "Ingen forbindelse – prøver igen …", "Offline – reconnecting …");
      const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
      attempt += 1;
      setTimeout(connect, backoff * (0.75 + Math.random() * 0.5));
    };
  }

  // The display service shows the manager what each screen can say (/display/status).
  function tellVoice(voice) {
    if (socket && socket.readyState === WebSocket.OPEN && voice) socket.send(`voice:${voice}`);
  }

  // Whenever the room for the calls changes (the window, the waiting figures, fonts).
  new ResizeObserver(fitRecent).observe($("recent").closest("section"));
  tickClock();
  setInterval(tickClock, 5000);
  render();
  connect();
})();
