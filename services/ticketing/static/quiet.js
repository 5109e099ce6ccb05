// "Kom helst kl. 14–15": when a service's queue is long, the hour later today
// when it is usually quiet (the services list's `quiet_hours`, best first).
// Long means a wait over the service's target; the hint shows only when the
// quiet hour's usual wait is shorter than the wait now. No history, no hint.
// Shared by the kiosk and the phone page: its words are the catalogues' "common.quiet".

import { phrase } from "./i18n.js";

// "14:00" -> "14", "14:30" -> "14:30": the hint reads like the hall's signs.
function shortTime(text) {
  return text.endsWith(":00") ? text.slice(0, -3) : text;
}

// The hint for `service` (an item of the services list) when a ticket taken
// now waits `waitS` seconds; "" when there is nothing worth saying.
export function quietHint(lang, service, waitS) {
  const hours = (service && service.quiet_hours) || [];
  if (!hours.length || waitS == null || waitS <= service.target_wait_s) return "";
  const best = hours[0];
  if (best.estimated_wait_s >= waitS) return "";
  return phrase(lang, "quiet", { hours: `${shortTime(best.from)}–${shortTime(best.to)}` });
}
