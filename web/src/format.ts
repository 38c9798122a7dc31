// Times in the viewer's own time zone, money in yuan (the API counts fen), durations, SLA.
import { lang, locale, t } from './i18n';
import type { Incident, Role } from './types';

export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// "2026-11-21 10:05:03" in the viewer's zone (zh), "21/11/2026, 10:05:03" (en).
export function formatTime(iso: string | undefined | null, withDate = true): string {
  if (!iso) return t('common.none');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = withDate
    ? { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
    : { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

// Amounts are in fen (1/100 yuan).
export function formatMoney(fen: number | undefined | null): string {
  if (fen === undefined || fen === null) return t('common.none');
  return '¥' + (fen / 100).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

// 75_000 -> "1分15秒" / "1m 15s"; days and hours for long ones.
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return t('common.none');
  const zh = lang() === 'zh';
  let seconds = Math.round(Math.abs(ms) / 1000);
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts: string[] = [];
  if (days) parts.push(zh ? `${days}天` : `${days}d`);
  if (hours) parts.push(zh ? `${hours}小时` : `${hours}h`);
  if (minutes && !days) parts.push(zh ? `${minutes}分` : `${minutes}m`);
  if (!days && !hours) parts.push(zh ? `${seconds}秒` : `${seconds}s`);
  return zh ? parts.join('') : parts.join(' ');
}

// "mm:ss" (or "h:mm:ss") for countdowns.
export function formatClock(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

export function formatPercent(value: number | undefined | null, digits = 1): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return t('common.none');
  return (value * 100).toFixed(digits) + '%';
}

// The SLA of a first handling action, by severity (docs/spec/INCIDENTS.md).
export const SLA_WINDOW_MS: Record<string, number> = { high: 60_000, medium: 300_000, low: 1_800_000 };

const ACTIVE = new Set(['open', 'handling', 'escalated', 'assigned']);
export function isActive(incident: Pick<Incident, 'status'>): boolean {
  return ACTIVE.has(incident.status);
}

// The deadline of the incident's next handling action: a case with people counts from its
// escalation, an open incident from its detection. Null once closed, and while a playbook
// handles it (its first command was the first handling action).
export function slaDeadline(incident: Incident, caseDeadline?: string): number | null {
  if (!isActive(incident) || incident.status === 'handling') return null;
  if (caseDeadline) return Date.parse(caseDeadline);
  const window = SLA_WINDOW_MS[incident.severity] ?? SLA_WINDOW_MS.low;
  const from = incident.escalated_at ?? incident.detected_at;
  return Date.parse(from) + window;
}

// Phone numbers and street addresses are masked below supervisor (docs/spec/INTERFACES.md).
// The service is the authority and will mask what it sends; this only makes sure the page
// never shows a full number to a weaker role, whatever it was given.
const PHONE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
export function maskText(text: string, role: Role | null): string {
  if (role === 'supervisor' || role === 'admin') return text;
  return text.replace(PHONE, '$1****$2');
}
