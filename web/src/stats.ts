// The analytics' sums over incidents: counts by type per time bucket, and the community ×
// type heat map. Pure, so that they are tested without a browser.
import type { Incident } from './types';

const TOP_TYPES = 8;
const TOP_COMMUNITIES = 15;

// A bucket width that gives about 24–60 bars over the span.
export function bucketWidth(spanMs: number): number {
  const steps = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  for (const step of steps) if (spanMs / step <= 60) return step;
  return 86_400_000 * Math.ceil(spanMs / 86_400_000 / 60);
}

export interface Series {
  buckets: number[];
  types: string[];
  counts: Record<string, number[]>;
}

// Counts by type per time bucket; the most frequent types by name, the rest as "other".
export function byTypeOverTime(incidents: Pick<Incident, 'type' | 'detected_at'>[]): Series {
  if (!incidents.length) return { buckets: [], types: [], counts: {} };
  const times = incidents.map((incident) => Date.parse(incident.detected_at));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const width = bucketWidth(last - first);
  const start = Math.floor(first / width) * width;
  const n = Math.floor((last - start) / width) + 1;
  const totals = new Map<string, number>();
  for (const incident of incidents) totals.set(incident.type, (totals.get(incident.type) ?? 0) + 1);
  const top = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_TYPES).map(([type]) => type);
  const types = totals.size > top.length ? [...top, 'other'] : top;
  const counts: Record<string, number[]> = Object.fromEntries(types.map((type) => [type, new Array(n).fill(0)]));
  incidents.forEach((incident, i) => {
    const key = top.includes(incident.type) ? incident.type : 'other';
    counts[key][Math.floor((times[i] - start) / width)] += 1;
  });
  return { buckets: Array.from({ length: n }, (_, i) => start + i * width), types, counts };
}

export interface Heat {
  communities: string[];
  types: string[];
  cells: [number, number, number][];
  max: number;
}

export function heatMap(incidents: Pick<Incident, 'type' | 'community'>[]): Heat {
  const byCommunity = new Map<string, Map<string, number>>();
  const typeTotals = new Map<string, number>();
  for (const incident of incidents) {
    if (!incident.community) continue;
    const row = byCommunity.get(incident.community) ?? new Map<string, number>();
    row.set(incident.type, (row.get(incident.type) ?? 0) + 1);
    byCommunity.set(incident.community, row);
    typeTotals.set(incident.type, (typeTotals.get(incident.type) ?? 0) + 1);
  }
  const sum = (row: Map<string, number>) => [...row.values()].reduce((a, b) => a + b, 0);
  const communities = [...byCommunity.entries()].sort((a, b) => sum(b[1]) - sum(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_COMMUNITIES).map(([name]) => name);
  const types = [...typeTotals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([type]) => type);
  const cells: [number, number, number][] = [];
  let max = 0;
  communities.forEach((community, y) => {
    types.forEach((type, x) => {
      const value = byCommunity.get(community)?.get(type) ?? 0;
      if (value) cells.push([x, y, value]);
      max = Math.max(max, value);
    });
  });
  return { communities, types, cells, max };
}

