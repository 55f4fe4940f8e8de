// Times in the tenant's zone (IANA, DST-aware through Intl), durations and numbers in words a supervisor reads.

const partFormats = new Map();

function partsFormat(zone) {
  if (!partFormats.has(zone)) {
    partFormats.set(zone, new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  return partFormats.get(zone);
}

/** {year, month, day, hour, minute, second} of instant `ms` on the wall clock of `zone`. */
export function wallClock(ms, zone) {
  const parts = {};
  for (const part of partsFormat(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  if (parts.hour === 24) parts.hour = 0;
  return parts;
}

/** The zone's offset from UTC at instant `ms`, in milliseconds. */
export function offsetAt(ms, zone) {
  const w = wallClock(ms, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (ms - (ms % 1000 + 1000) % 1000);
}

/** The instant (ms) at which the zone's wall clock reads midnight of year-month-day (the first such instant). */
export function midnight(year, month, day, zone) {
  const guess = Date.UTC(year, month - 1, day);
  let instant = guess - offsetAt(guess, zone);
  instant = guess - offsetAt(instant, zone);
  return instant;
}

/** Today's date in `zone`, as {year, month, day}; `plusDays` moves it. */
export function dateInZone(zone, plusDays = 0, ms = Date.now()) {
  const w = wallClock(ms, zone);
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + plusDays));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function isoDate({ year, month, day }) {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

export function parseDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  return match ? { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) } : null;
}

export function addDays(date, days) {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** An instant as UTC ISO with milliseconds, as the API writes them. */
export function isoInstant(ms) {
  return new Date(ms).toISOString();
}

const pad = (n) => String(n).padStart(2, "0");

/** "2017-12-29 09:23:05" on the zone's wall clock. */
export function localTime(iso, zone, withDate = true) {
  if (!iso) return "";
  const w = wallClock(Date.parse(iso), zone);
  const time = `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  return withDate ? `${w.year}-${pad(w.month)}-${pad(w.day)} ${time}` : time;
}

/** A bucket's label from the row's start (an ISO time with its offset, already in the zone). */
export function bucketLabel(startIso, interval) {
  const date = startIso.slice(0, 10);
  const time = startIso.slice(11, 16);
  if (interval === "day" || interval === "week" || interval === "month") return date;
  return time === "00:00" ? `${date.slice(5)} ${time}` : time;
}

/** Seconds as "0:42", "3:07", "1:02:09"; "—" for none. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const whole = Math.round(Number(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** Seconds in words for screen readers and titles: "1 h 2 min 9 s". */
export function durationWords(seconds) {
  if (seconds === null || seconds === undefined) return "none";
  const whole = Math.round(Number(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  return [h ? `${h} h` : "", m ? `${m} min` : "", `${sec} s`].filter(Boolean).join(" ");
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} %`;
}

export function count(value) {
  return value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US");
}
