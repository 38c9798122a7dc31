// The agent's workbench: my queue (by effective priority), my duty, my SLA; a supervisor
// also sees the team and sets duty.
import { get, post } from '../api';
import { onChanges } from '../bus';
import { eventNow } from '../clock';
import { clear, h } from '../dom';
import { formatClock, slaDeadline } from '../format';
import { nameOf, t } from '../i18n';
import { can, session } from '../session';
import type { Agent, QueueEntry } from '../types';
import { errorBox, errorText, refreshSla, section, severityChip, slaCell, statusChip, subjectText, typeLabel } from './common';

function wide(card: HTMLElement): HTMLElement {
  card.classList.add('wide');
  return card;
}

export function workbenchView(root: HTMLElement): () => void {
  const me = session()!;
  const page = h('div', { class: 'page workbench-page', 'data-testid': 'workbench' }, h('h1', {}, t('wb.title')));
  const body = h('div', { class: 'wb-grid' });
  page.append(body);
  clear(root, page);
  let generation = 0;
  let queue: QueueEntry[] = [];
  let agents: Agent[] = [];
  let problem = '';

  async function setDuty(agent: Agent, onDuty: boolean) {
    try {
      await post(`/v1/agents/${encodeURIComponent(agent.agent_id)}/duty`, { on_duty: onDuty });
      problem = '';
    } catch (error) {
      problem = errorText(error);
    }
    await load();
  }

  function dutyButton(agent: Agent) {
    return h(
      'button',
      { type: 'button', 'data-testid': `duty-${agent.agent_id}`, 'aria-pressed': String(agent.on_duty), onclick: () => void setDuty(agent, !agent.on_duty) },
      agent.on_duty ? t('wb.go_off') : t('wb.go_on'),
    );
  }

  function draw() {
    const mine = agents.find((agent) => agent.agent_id === me.agentId);
    const cards: HTMLElement[] = [];
    if (problem) cards.push(h('p', { class: 'error-box', role: 'alert' }, problem));
    if (!me.agentId) {
      cards.push(h('p', { class: 'muted' }, t('wb.no_agent')));
    } else if (!mine) {
      cards.push(h('p', { class: 'muted' }, t('wb.unknown_agent', { id: me.agentId })));
    } else {
      const used = mine.capacity - mine.free_capacity;
      cards.push(
        section(
          `${t('wb.agent')} ${mine.name || mine.agent_id}`,
          h('div', { class: 'row wrap' },
            h('span', { class: `chip duty ${mine.on_duty ? 'on' : 'off'}`, 'data-testid': 'my-duty' }, mine.on_duty ? t('wb.on_duty') : t('wb.off_duty')),
            dutyButton(mine)),  // agents declare their own duty (INTERFACES.md: supervisor / agent)
          h('p', {}, `${t('wb.skills')}: ${mine.skills.map((skill) => nameOf('skill', skill)).join('、') || t('common.none')}`),
          h('p', {}, t('wb.capacity', { used, capacity: mine.capacity })),
        ),
      );
      // My SLA, over the cases I hold now.
      const now = eventNow();
      const deadlines = queue
        .map((entry) => (entry.incident ? slaDeadline(entry.incident) : null))
        .filter((deadline): deadline is number => deadline !== null);
      const overdue = deadlines.filter((deadline) => deadline < now).length;
      const soon = deadlines.filter((deadline) => deadline >= now && deadline - now <= 300_000).length;
      const next = deadlines.filter((deadline) => deadline >= now).sort((a, b) => a - b)[0];
      cards.push(
        section(
          t('wb.sla'),
          h('div', { class: 'tiles small' },
            h('div', { class: 'tile' }, h('span', { class: 'tile-label' }, t('wb.sla.in_queue')), h('strong', { 'data-testid': 'wb-in-queue' }, queue.length)),
            h('div', { class: 'tile tone-high' }, h('span', { class: 'tile-label' }, t('wb.sla.overdue')), h('strong', {}, overdue)),
            h('div', { class: 'tile tone-medium' }, h('span', { class: 'tile-label' }, t('wb.sla.soon')), h('strong', {}, soon)),
            h('div', { class: 'tile' }, h('span', { class: 'tile-label' }, t('wb.sla.next')), h('strong', {}, next ? formatClock(next - now) : t('common.none')))),
        ),
      );
      const rows = queue.map((entry) => {
        const incident = entry.incident;
        return h('tr', { 'data-testid': 'queue-row', 'data-id': entry.incident_id, class: incident ? `sev-row sev-${incident.severity}` : '' },
          h('td', { class: 'num' }, entry.effective_priority),
          h('td', {}, incident ? severityChip(incident.severity) : ''),
          h('td', {}, h('a', { href: `/incidents/${entry.incident_id}`, 'data-link': true }, incident ? typeLabel(incident.type) : entry.incident_id)),
          h('td', {}, incident ? subjectText(incident) : ''),
          h('td', {}, incident ? statusChip(incident.status) : ''),
          h('td', {}, incident ? slaCell(incident) : ''));
      });
      cards.push(
        wide(section(
          t('wb.queue'),
          queue.length
            ? h('div', { class: 'table-wrap' }, h('table', { class: 'board' },
                h('thead', {}, h('tr', {}, ...(['col.effective', 'col.severity', 'col.type', 'col.subject', 'col.status', 'col.sla'] as const).map((key) => h('th', { scope: 'col' }, t(key))))),
                h('tbody', {}, rows)))
            : h('p', { class: 'muted', 'data-testid': 'queue-empty' }, t('wb.queue.empty')),
        )),
      );
    }
    if (can(me.role, 'supervise') && agents.length) {
      cards.push(
        wide(section(
          t('wb.team'),
          h('div', { class: 'table-wrap' }, h('table', { class: 'plain' },
            h('tbody', {}, agents.map((agent) =>
              h('tr', {},
                h('td', {}, h('strong', {}, agent.name || agent.agent_id), ' ', h('code', {}, agent.agent_id), agent.supervisor ? ` · ${t('wb.team.supervisor')}` : ''),
                h('td', {}, agent.skills.map((skill) => nameOf('skill', skill)).join('、')),
                h('td', {}, t('wb.capacity', { used: agent.capacity - agent.free_capacity, capacity: agent.capacity })),
                h('td', {}, h('span', { class: `chip duty ${agent.on_duty ? 'on' : 'off'}` }, agent.on_duty ? t('wb.on_duty') : t('wb.off_duty'))),
                h('td', {}, dutyButton(agent))))))),
        )),
      );
    }
    clear(body, cards);
  }

  async function load() {
    const mine = ++generation;
    try {
      const list = await get<{ items: Agent[] }>('/v1/agents');
      const known = list.items.some((agent) => agent.agent_id === me.agentId);
      const items = known ? (await get<{ items: QueueEntry[] }>(`/v1/agents/${encodeURIComponent(me.agentId)}/queue`)).items : [];
      if (mine !== generation) return;
      agents = list.items;
      queue = items;
      draw();
    } catch (error) {
      if (mine !== generation) return;
      clear(body, errorBox(error, () => void load()));
    }
  }

  let timer: number | undefined;
  const stop = onChanges((changes) => {
    if (!changes.some((change) => change.kind === 'incident' && (change.incident.assignee === me.agentId || queue.some((entry) => entry.incident_id === change.incident.id)))) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void load(), 500);
  });
  const ticker = window.setInterval(() => refreshSla(body), 1000);
  const poll = window.setInterval(() => void load(), 15_000);
  void load();
  return () => {
    generation++;
    stop();
    window.clearTimeout(timer);
    window.clearInterval(ticker);
    window.clearInterval(poll);
  };
}
