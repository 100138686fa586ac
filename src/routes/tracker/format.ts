/** Formatting for the dashboard pages: counts, ages, clock times. */

export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** How long ago `then` was, seen at `now` (both ms): "12 s", "5 min", "3 h 10 min", "2 d 4 h". */
export function formatAge(then: number, now: number): string {
  const s = Math.max(0, Math.floor((now - then) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A clock time, with the weekday when the span shown is longer than a day. */
export function formatClock(time: number, withDay = false): string {
  const d = new Date(time);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return withDay ? `${d.toLocaleDateString('en-US', { weekday: 'short' })} ${hm}` : hm;
}

export function formatDateTime(time: number): string {
  return new Date(time).toLocaleString('en-US');
}
