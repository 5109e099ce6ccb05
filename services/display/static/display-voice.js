// The hall screen's announcements: a chime, then Danish speech, one at a time and
// none cut off. The voice is the best one this screen has: a Danish browser voice
// ("speech"), else the display service's espeak-ng audio ("espeak", which says desk
// names as configured), else the Danish clips shipped with the page ("clips":
// "nummer P 1 2, skranke 3"), else the chime alone ("chime"); "silent" while the
// browser will not play sound (no autoplay flag and nobody has tapped yet).
//
// A burst of calls is announced compactly: a queued announcement is dropped when a
// newer call supersedes it (the same desk has called again, or the same ticket was
// called again), at most MAX_PENDING wait, and a burst chimes once. So the screen
// is never far behind the calls, and the latest call is always announced.
"use strict";

const MAX_PENDING = 3;
const BREATH_MS = 500; // between two announcements
const BURST_GAP_MS = 3000; // an announcement this soon after the last one: no chime
const CLIP_GAP_S = 0.1;
const PAUSE_S = 0.3; // between the number and the desk
// The words a desk name may be made of, as clips (scripts/render-voice-clips).
const CLIP_WORDS = new Set(["nummer", "skranke", "kvik", "bord", "lokale"]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const within = (promise, ms) => Promise.race([promise, sleep(ms)]);

// What a screen says: "Nummer P 12, Skranke 2" (P012 read as "P 12", not "P 0 1 2").
export function spokenText(number, deskName) {
  return `Nummer ${number.slice(0, 1)} ${Number.parseInt(number.slice(1), 10)}, ${deskName}`;
}

const digitsOf = (text) => [...text];

// The clips of a call: ["nummer", "p", "1", "2", null, "skranke", "3"] (null: a pause).
// A desk name with a word there is no clip for is said "skranke" and its number
// (from the name, else from the desk's id): the screen shows the name anyway.
export function clipWords(number, deskName, deskId) {
  const ticket = ["nummer", number.slice(0, 1).toLowerCase(), ...digitsOf(String(Number.parseInt(number.slice(1), 10)))];
  const tokens = deskName.toLowerCase().split(/[\s\-_.]+/).filter(Boolean);
  const sayable = tokens.every((token) => CLIP_WORDS.has(token) || /^[0-9]+$/.test(token) || /^[a-z]$/.test(token));
  let desk;
  if (sayable && tokens.length) {
    desk = tokens.flatMap((token) => (/^[0-9]+$/.test(token) ? digitsOf(token) : [token]));
  } else {
    const found = deskName.match(/[0-9]+/) ?? String(deskId).match(/[0-9]+/);
    desk = ["skranke", ...(found ? digitsOf(String(Number.parseInt(found[0], 10))) : [])];
  }
  return [...ticket, null, ...desk];
}

export function createAnnouncer({ statusUrl, ttsUrl, clipUrl, onVoice }) {
  const log = []; // every announcement and how it went (window.qmsAnnouncements)
  const queue = [];
  let speaking = false;
  let lastEnded = -Infinity;
  let espeak = null; // the display service has espeak-ng (its status says), null: not known yet
  let clipsWork = null; // the clips decode here (probed once)
  let voice = null;
  const clips = new Map(); // word -> Promise<AudioBuffer>
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  const audio = AudioContextClass ? new AudioContextClass() : null;

  function showPending() {
    document.body.dataset.announcementsPending = String(queue.length);
  }

  function announce(call, kind) {
    const entry = {
      number: call.number, counter: call.counter, kind, text: spokenText(call.number, call.counter_name),
      clips: clipWords(call.number, call.counter_name, call.counter),
      state: "queued", via: null, queuedAt: performance.now(), startedAt: null, finishedAt: null,
    };
    // Superseded: the desk has called someone else, or the ticket is called again.
    for (const old of queue.filter((q) => q.counter === entry.counter || q.number === entry.number)) drop(old, entry);
    while (queue.length >= MAX_PENDING) drop(queue[0], entry);
    log.push(entry);
    queue.push(entry);
    entry.pendingAtQueue = queue.length; // the most that ever wait is the most of these
    showPending();
    if (!speaking) void drain();
  }

  function drop(entry, by) {
    queue.splice(queue.indexOf(entry), 1);
    entry.state = "dropped";
    entry.supersededBy = by.number;
    entry.finishedAt = performance.now();
  }

  async function drain() {
    speaking = true;
    while (queue.length) {
      const entry = queue.shift();
      showPending();
      entry.state = "playing";
      entry.startedAt = performance.now();
      try {
        // One chime per burst: calls back to back are said one after another.
        if (entry.startedAt - lastEnded > BURST_GAP_MS) await chime();
        entry.via = await speak(entry);
      } catch (error) {
        entry.via = "chime";
        entry.error = String(error);
      }
      entry.state = "done";
      entry.finishedAt = performance.now();
      await sleep(BREATH_MS);
      lastEnded = performance.now();
    }
    speaking = false;
    void refresh();
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

  async function play(buffers) {
    // Back to back on the audio clock; the timer too: a context that stops
    // rendering never fires `ended`.
    let at = audio.currentTime + 0.05;
    let last = null;
    for (const buffer of buffers) {
      if (buffer === null) { at += PAUSE_S; continue; }
      last = audio.createBufferSource();
      last.buffer = buffer;
      last.connect(audio.destination);
      last.start(at);
      at += buffer.duration + CLIP_GAP_S;
    }
    if (last === null) return;
    const ended = new Promise((resolve) => { last.onended = resolve; });
    await within(ended, (at - audio.currentTime) * 1000 + 500);
  }

  function clip(word) {
    if (!clips.has(word)) {
      const loaded = fetch(clipUrl(word))
        .then((response) => (response.ok ? response.arrayBuffer() : Promise.reject(new Error(`clip ${word}: ${response.status}`))))
        .then((bytes) => audio.decodeAudioData(bytes));
      loaded.catch(() => clips.delete(word)); // tried again next time
      clips.set(word, loaded);
    }
    return clips.get(word);
  }

  async function speakEspeak(text) {
    const response = await within(fetch(ttsUrl(text)), 8000);
    if (!response || !response.ok) {
      if (response && response.status === 503) espeak = false;
      return false;
    }
    await play([await audio.decodeAudioData(await response.arrayBuffer())]);
    return true;
  }

  async function speak(entry) {
    const browserVoice = danishVoice();
    if (browserVoice) {
      const utterance = new SpeechSynthesisUtterance(entry.text);
      utterance.voice = browserVoice;
      utterance.lang = browserVoice.lang;
      utterance.rate = 0.9;
      const done = new Promise((resolve) => { utterance.onend = resolve; utterance.onerror = resolve; });
      speechSynthesis.speak(utterance);
      await within(done, 15000);
      return "speech";
    }
    if (!(await audioRunning())) return "silent";
    if (espeak !== false && (await speakEspeak(entry.text))) return "espeak";
    try {
      const buffers = await within(Promise.all(entry.clips.map((word) => (word === null ? null : clip(word)))), 8000);
      if (!buffers) return "chime";
      await play(buffers);
      clipsWork = true;
      return "clips";
    } catch {
      clipsWork = false;
      return "chime";
    }
  }

  function best() {
    if (danishVoice()) return "speech";
    if (!audio || audio.state !== "running") return "silent";
    if (espeak) return "espeak";
    if (clipsWork !== false) return "clips";
    return "chime";
  }

  // What this screen can say, found out once at start and kept current; each
  // change is told to the display service (the manager page shows it).
  let asking = null; // the status and clip probe under way: one at a time
  async function probe() {
    if (espeak === null) {
      const status = await within(fetch(statusUrl).then((r) => (r.ok ? r.json() : null)).catch(() => null), 5000);
      if (status) espeak = Boolean(status.espeak);
    }
    if (clipsWork === null && audio) {
      clipsWork = (await within(clip("nummer").then(() => true, () => false), 5000)) ?? null;
    }
  }

  async function refresh() {
    asking ??= probe().finally(() => { asking = null; });
    await asking;
    const now = best();
    if (now !== voice) {
      voice = now;
      document.body.dataset.voice = now;
      onVoice(now);
    }
  }

  if ("speechSynthesis" in window) {
    speechSynthesis.getVoices(); // voices load lazily
    speechSynthesis.addEventListener?.("voiceschanged", () => void refresh());
  }
  // A click or key (if a kiosk was started without the autoplay flag) unlocks sound.
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, () => audio?.resume().then(refresh, () => {}), { passive: true });
  }
  audio?.addEventListener?.("statechange", () => void refresh());
  showPending();
  void refresh();

  return { announce, log, voice: () => voice };
}
