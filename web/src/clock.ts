// Event time, as the engine counts it (deadlines are in event time): the newest time seen
// (the watermark from /metrics, incidents' detection times), carried on by the wall clock.
// In production event time is the wall clock; in a fast simulation it runs ahead of it.
let offset = 0;
let known = false;

export function observeEventTime(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) return;
  const candidate = ms - Date.now();
  if (!known || candidate > offset) {
    offset = candidate;
    known = true;
  }
}

export function eventNow(): number {
  return Date.now() + offset;
}

// The watermark from the Prometheus text of /metrics (no token needed).
export function parseWatermark(metrics: string): number | null {
  const match = /^orderguard_state\{name="watermark_ms"\}\s+(\S+)/m.exec(metrics);
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) && value > 0 ? value : null;
}

export async function pollWatermark(): Promise<void> {
  try {
    const response = await fetch('/metrics', { cache: 'no-store' });
    if (!response.ok) return;
    const watermark = parseWatermark(await response.text());
    if (watermark !== null) observeEventTime(watermark);
  } catch {
    // the next poll tries again
  }
}

export function resetClock(): void {
  offset = 0;
  known = false;
}
