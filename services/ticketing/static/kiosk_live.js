// The kiosk's live pauses: the display's area WebSocket /ws/display/{branch}/{area}
// sends a `snapshot` on connect and a `waiting` frame whenever an area's
// figures change; per service they carry `paused` and `paused_until`, the
// same figures as the services list. When they disagree with the list on
// screen, the list is read again: after a short debounce (a burst of frames
// is one read) and at most once a second. Lost connections come back with
// back-off; the kiosk's own 30 s poll goes on regardless. `?client=kiosk` tells
// the display this is a kiosk, not a hall screen (its /display/status counts
// hall screens for the manager page).

import { backoffMs, displaySocketBase } from "./common.js";

const DEBOUNCE_MS = 250;
const MIN_GAP_MS = 1000;
// The display may apply an event a moment before ticketing does: a re-read
// that still disagrees is tried again, a few times (a pause that lapses by
// the clock reaches the display only at its next tick: not for ever).
const RECHECKS = 3;

// `shown()`: the services list on screen; `reload()`: read it again (a promise).
export function followPauses({ branch, dataset, shown, reload }) {
  const sockets = new Map(); // area -> {socket, attempt, timer}
  const told = new Map(); // service -> "paused|until" as the display last said
  let timer = null;
  let lastRead = -Infinity;
  let rechecks = 0;

  function pauseOf(service) {
    return `${Boolean(service.paused)}|${service.paused_until ?? ""}`;
  }

  function disagrees() {
    const data = shown();
    if (!data) return false;
    return data.services.some((s) => told.has(s.id) && told.get(s.id) !== pauseOf(s));
  }

  function schedule() {
    if (timer !== null) return;
    const wait = Math.max(DEBOUNCE_MS, lastRead + MIN_GAP_MS - performance.now());
    timer = setTimeout(async () => {
      lastRead = performance.now();
      try {
        await reload();
      } finally {
        timer = null;
        if (disagrees() && rechecks-- > 0) schedule();
      }
    }, wait);
  }

  function heard(waiting) {
    for (const [service, figures] of Object.entries(waiting || {})) told.set(service, pauseOf(figures));
    rechecks = RECHECKS;
    if (disagrees()) schedule();
  }

  function connect(area) {
    const entry = sockets.get(area);
    const url = `${displaySocketBase(dataset)}/ws/display/${encodeURIComponent(branch)}/${encodeURIComponent(area)}?client=kiosk`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      entry.timer = setTimeout(() => connect(area), backoffMs(entry.attempt++));
      return;
    }
    entry.socket = socket;
    socket.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type !== "snapshot" && frame.type !== "waiting") return;
      entry.attempt = 0;
      heard(frame.waiting);
    };
    socket.onclose = () => {
      entry.socket = null;
      entry.timer = setTimeout(() => connect(area), backoffMs(entry.attempt++));
    };
  }

  // Follow exactly `areas` (the list's areas can change with the branch file).
  function follow(areas) {
    for (const [area, entry] of sockets) {
      if (areas.includes(area)) continue;
      clearTimeout(entry.timer);
      if (entry.socket) {
        entry.socket.onclose = null;
        entry.socket.close(1000);
      }
      sockets.delete(area);
    }
    for (const area of areas) {
      if (sockets.has(area)) continue;
      sockets.set(area, { socket: null, attempt: 0, timer: null });
      connect(area);
    }
  }

  return { follow };
}
