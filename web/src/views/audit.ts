// The audit chain: its status and a verification on demand. The service adds /v1/audit in
// the trust work; until then the page says it is not available.
import { ApiError, get, post } from '../api';
import { clear, h } from '../dom';
import { formatTime } from '../format';
import { t } from '../i18n';
import type { AuditStatus } from '../types';
import { errorBox, errorText, section } from './common';

export function auditView(root: HTMLElement): () => void {
  const page = h('div', { class: 'page audit-page', 'data-testid': 'audit' }, h('h1', {}, t('audit.title')), h('p', { class: 'muted' }, t('incident.loading')));
  clear(root, page);
  let alive = true;

  function draw(status: AuditStatus, note = '') {
    const verdict = status.verified === true ? t('audit.ok') : status.verified === false ? t('audit.broken') : t('audit.unknown');
    const button = h('button', { type: 'button', class: 'primary', 'data-testid': 'audit-verify' }, t('audit.verify'));
    const message = h('p', { role: 'status' }, note);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const verified = await post<AuditStatus>('/v1/audit/verify');
        if (alive) draw({ ...status, ...verified });
      } catch (error) {
        message.textContent = errorText(error);
        button.disabled = false;
      }
    });
    clear(
      page,
      h('h1', {}, t('audit.title')),
      section(
        t('audit.title'),
        h('dl', { class: 'facts' },
          h('dt', {}, t('audit.records')), h('dd', {}, String(status.records)),
          h('dt', {}, t('audit.last_hash')), h('dd', {}, h('code', { class: 'hash' }, status.last_hash || t('common.none'))),
          h('dt', {}, t('audit.last_checkpoint')), h('dd', {}, status.last_checkpoint ? formatTime(status.last_checkpoint) : t('common.none')),
          h('dt', {}, t('audit.verified')), h('dd', {}, h('span', { class: `chip ${status.verified === true ? 'ok' : status.verified === false ? 'bad' : ''}`, 'data-testid': 'audit-verdict' }, verdict))),
        h('div', { class: 'row' }, button),
        message,
      ),
    );
  }

  async function load() {
    try {
      const status = await get<AuditStatus>('/v1/audit');
      if (alive) draw(status);
    } catch (error) {
      if (!alive) return;
      if (error instanceof ApiError && error.status === 404) {
        clear(page, h('h1', {}, t('audit.title')), h('p', { class: 'notice-box', 'data-testid': 'audit-unavailable' }, t('audit.unavailable')));
      } else {
        clear(page, h('h1', {}, t('audit.title')), errorBox(error, () => void load()));
      }
    }
  }
  void load();
  return () => {
    alive = false;
  };
}
