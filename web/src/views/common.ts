// Pieces several views share: chips, SLA cells, errors.
import { ApiError } from '../api';
import { eventNow } from '../clock';
import { h } from '../dom';
import { formatClock, slaDeadline } from '../format';
import { nameOf, t } from '../i18n';
import type { Incident } from '../types';

export function severityChip(severity: string): HTMLElement {
  return h('span', { class: `chip sev sev-${severity}`, 'data-severity': severity }, nameOf('severity', severity));
}

export function statusChip(status: string, resolution?: string): HTMLElement {
  const label = nameOf('status', status) + (resolution ? ` · ${nameOf('resolution', resolution)}` : '');
  return h('span', { class: `chip status status-${status}`, 'data-status': status }, label);
}

export function typeLabel(type: string): HTMLElement {
  return h('span', { class: 'type' }, h('span', { class: 'type-name' }, nameOf('type', type)), h('span', { class: 'code' }, type));
}

export function subjectText(incident: Incident): string {
  return `${nameOf('subject', incident.subject.kind)} ${incident.subject.id}`;
}

// A cell that counts down to the SLA deadline; refreshSla() updates every such cell.
export function slaCell(incident: Incident, caseDeadline?: string): HTMLElement {
  const deadline = slaDeadline(incident, caseDeadline);
  const cell = h('span', { class: 'sla' });
  if (deadline === null) {
    cell.textContent = t('common.none');
    return cell;
  }
  cell.dataset.deadline = String(deadline);
  updateSla(cell, deadline);
  return cell;
}

function updateSla(cell: HTMLElement, deadline: number) {
  const left = deadline - eventNow();
  cell.textContent = left >= 0 ? t('sla.left', { time: formatClock(left) }) : t('sla.over', { time: formatClock(left) });
  cell.classList.toggle('sla-over', left < 0);
  cell.classList.toggle('sla-soon', left >= 0 && left < 60_000);
}

export function refreshSla(root: ParentNode): void {
  for (const cell of root.querySelectorAll<HTMLElement>('[data-deadline]')) updateSla(cell, Number(cell.dataset.deadline));
}

// What went wrong, in the user's language, with the service's own reason when it gave one
// (it says what to do: "assigned to A1, not to you").
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const reason = error.message ? t('error.reason', { reason: error.message }) : '';
    if (error.status === 0) return t('error.unreachable');
    if (error.status === 403) return t('error.forbidden') + reason;
    if (error.status === 409) return t('error.refused') + reason;
    if (error.status === 429) return t('error.overloaded', { seconds: error.retryAfter ?? 1 });
    if (error.status >= 500 && !error.message) return t('error.server', { status: error.status });
    return error.message || t('error.server', { status: error.status });
  }
  return error instanceof Error ? error.message : String(error);
}

export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    t('error.generic', { message: errorText(error) }),
    retry ? h('button', { type: 'button', onclick: retry }, t('error.retry')) : null,
  );
}

export function section(title: string, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const id = `s-${Math.random().toString(36).slice(2, 9)}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}
