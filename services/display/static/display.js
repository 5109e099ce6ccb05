// Hall screen: follows /ws/display/{branch}/{area}, shows who is called to which
// desk, and announces each call (chime, then Danish speech). Never reloads: on a
// lost connection it shows "offline", reconnects with back-off, and starts over
// from the snapshot the server sends on connect.
"use strict";

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

  const view = { seq: 0, serving: [], recent: [], waiting: {} };
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
  }

  function onSnapshot(frame, reconnected) {
    const known = new Set(view.recent.map(callKey));
    const newestKnown = view.recent.length ? Date.parse(view.recent[0].at) : -Infinity;
    $("area-name").textContent = frame.area?.name ?? area;
    $("branch-name").textContent = frame.branch?.name ?? branch;
    document.title = `${frame.area?.name ?? area} · Kaldeskærm`;
    Object.assign(view, { seq: frame.seq, serving: frame.serving, recent: frame.recent, waiting: frame.waiting });
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

  // ---- announcements: a queue, one at a time, none cut off --------------------

  window.qmsAnnouncements = []; // test hook: every announcement and how it went
  const queue = [];
  let speaking = false;
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  const audio = AudioContextClass ? new AudioContextClass() : null;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const within = (promise, ms) => Promise.race([promise, sleep(ms)]);

  function spoken(number, deskName) {
    // "P012" is read "P 12", not "P 0 1 2".
    return `Nummer ${number.slice(0, 1)} ${Number.parseInt(number.slice(1), 10)}, ${deskName}`;
  }

  function announce(call, kind) {
    const entry = {
      number: call.number, counter: call.counter, kind, text: spoken(call.number, call.counter_name),
      state: "queued", via: null, queuedAt: performance.now(), startedAt: null, finishedAt: null,
    };
    window.qmsAnnouncements.push(entry);
    queue.push(entry);
    if (!speaking) void drain();
  }

  async function drain() {
    speaking = true;
    while (queue.length) {
      const entry = queue.shift();
      entry.state = "playing";
      entry.startedAt = performance.now();
      try {
        await chime();
        entry.via = await speak(entry.text);
      } catch (error) {
        entry.via = "chime";
        entry.error = String(error);
      }
      entry.state = "done";
      entry.finishedAt = performance.now();
      await sleep(500); // a breath between two announcements
    }
    speaking = false;
  }

  async function audioRunning() {
    if (!audio) return false;
    if (audio.state !== "running") await within(audio.resume().catch(() => {}), 500);
    return audio.state === "running";
  }

  async function chime() {
    if (!(await audioRunning())) return;
    const start = audio.currentTime + 0.05;
    [[659.25, 0], [523.25, 0.45]].forEach(([hz, offset]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.5, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.9);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.95);
    });
    await sleep(1450);
  }

  function danishVoice() {
    if (!("speechSynthesis" in window)) return null;
    return speechSynthesis.getVoices().find((v) => v.lang.toLowerCase().replace("_", "-").startsWith("da")) ?? null;
  }
  if ("speechSynthesis" in window) speechSynthesis.getVoices(); // voices load lazily

  // How it spoke: "speech" (the browser's Danish voice), "espeak" (audio from the
  // display service), or "chime" (neither is there: the chime alone).
  async function speak(text) {
    const voice = danishVoice();
    if (voice) {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      const done = new Promise((resolve) => { utterance.onend = resolve; utterance.onerror = resolve; });
      speechSynthesis.speak(utterance);
      await within(done, 15000);
      return "speech";
    }
    if (!(await audioRunning())) return "chime";
    const response = await within(fetch(new URL(`../tts?text=${encodeURIComponent(text)}`, location.href)), 8000);
    if (!response || !response.ok) return "chime";
    const buffer = await audio.decodeAudioData(await response.arrayBuffer());
    const source = audio.createBufferSource();
    source.buffer = buffer;
    source.connect(audio.destination);
    const ended = new Promise((resolve) => { source.onended = resolve; });
    source.start();
    // The timer too: a context that stops rendering never fires `ended`.
    await within(ended, buffer.duration * 1000 + 500);
    return "espeak";
  }

  // A click or key (if a kiosk was started without the autoplay flag) unlocks sound.
  for (const type of ["pointerdown", "keydown"]) addEventListener(type, () => audio?.resume(), { passive: true });

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
        case "error":
          goneFor = frame;
          break;
        default: // "pong", and frame types this page does not know yet
      }
      if (frame.seq !== undefined) view.seq = Math.max(view.seq, frame.seq);
    };
    ws.onopen = () => {
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

  function tickClock() {
    $("clock").textContent = new Date().toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" });
  }

  tickClock();
  setInterval(tickClock, 5000);
  render();
  connect();
})();
