// The audit chain: its status (GET /v1/audit) and a verification on demand (POST
// /v1/audit/verify). A service without a chain answers 404: the page says so.
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
      message.textContent = '';
      try {
        const verified = await post<AuditStatus>('/v1/audit/verify');
        if (alive) draw({ ...status, ...verified });
      } catch (error) {
        message.textContent = errorText(error);
        button.disabled = false;
      }
    });
    const checkpoint = status.last_checkpoint;
    const checkpointText =
      checkpoint === null || checkpoint === undefined
        ? t('common.none')
        : typeof checkpoint === 'number'
          ? `#${checkpoint}${status.checkpoints ? ` (${t('audit.checkpoints', { n: status.checkpoints })})` : ''}`
          : formatTime(checkpoint);
    clear(
      page,
      h('h1', {}, t('audit.title')),
      section(
        t('audit.title'),
        h('dl', { class: 'facts' },
          h('dt', {}, t('audit.records')), h('dd', { 'data-testid': 'audit-records' }, String(status.links ?? status.records ?? 0)),
          h('dt', {}, t('audit.last_hash')), h('dd', {}, h('code', { class: 'hash' }, status.last_hash ? `${status.last_seq !== undefined ? `#${status.last_seq} ` : ''}${status.last_hash}` : t('common.none'))),
          h('dt', {}, t('audit.last_checkpoint')), h('dd', {}, checkpointText),
          h('dt', {}, t('audit.verified')), h('dd', {}, h('span', { class: `chip ${status.verified === true ? 'ok' : status.verified === false ? 'bad' : ''}`, 'data-testid': 'audit-verdict' }, verdict))),
        status.problems?.length ? h('ul', { class: 'error-box problems', 'data-testid': 'audit-problems' }, status.problems.map((problem) => h('li', {}, problem))) : null,
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
