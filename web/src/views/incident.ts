// One incident: the order's timeline (events, incidents, commands, people's actions), the
// evidence, what the playbook tried, similar past cases, and the agent's actions.
import { ApiError, get, post } from '../api';
import { onChanges } from '../bus';
import { clear, field, h, select } from '../dom';
import { formatDuration, formatMoney, formatTime, isActive, maskText } from '../format';
import { causeName, lang, nameOf, t, type MessageKey } from '../i18n';
import { can, session } from '../session';
import type { Agent, Command, DeskAction, IncidentDetail, OrderView, TimelineEntry, TrailEntry, UnmaskedCustomer } from '../types';
import { boardHref } from './board';
import { errorBox, errorText, refreshSla, section, severityChip, slaCell, statusChip, subjectText, typeLabel } from './common';

const CODES = ['refunded', 'compensated', 'redelivered', 'contacted', 'fixed', 'cancelled', 'other'];

function dl(rows: [string, Node | string | number | undefined | null][]): HTMLElement {
  const list = h('dl', { class: 'facts' });
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    list.append(h('dt', {}, label), h('dd', {}, value instanceof Node ? value : String(value)));
  }
  return list;
}

function commandText(command: Command): string {
  const role = session()?.role ?? null;
  const parts: string[] = [nameOf('command', command.command)];
  if (typeof command.amount === 'number') parts.push(formatMoney(command.amount));
  if (typeof command.to === 'string') parts.push(`→ ${nameOf('recipient', command.to)}`);
  if (typeof command.channel === 'string') parts.push(nameOf('channel', command.channel));
  for (const key of ['sku', 'substitute_sku', 'rider_id', 'pickup_point_id', 'zone']) {
    if (typeof command[key] === 'string') parts.push(`${key}=${command[key]}`);
  }
  const text = (lang() === 'en' ? command.text_en : command.text) ?? command.text;
  if (typeof text === 'string' && text) parts.push(`“${maskText(text, role)}”`);
  return parts.join(' · ');
}

function personText(action: DeskAction): string {
  const role = session()?.role ?? null;
  const parts = [nameOf('person', action.kind)];
  if (action.actor) parts.push(action.actor);
  if (action.target) parts.push(`→ ${action.target}`);
  if (action.code) parts.push(`[${nameOf('code', action.code)}]`);
  // A missed SLA's text is the service's English sentence of the entry's own time.
  if (action.text && action.kind !== 'sla_breached') parts.push(maskText(action.text, role));
  return parts.join(' ');
}

function timelineItem(entry: TimelineEntry, currentId: string): HTMLElement {
  let kind: string;
  let body: Node | string;
  switch (entry.kind) {
    case 'milestone':
      kind = 'milestone';
      body = nameOf('milestone', entry.name);
      break;
    case 'incident':
      kind = 'incident';
      body = h(
        'span',
        {},
        entry.incident.id === currentId
          ? h('strong', {}, nameOf('type', entry.incident.type))
          : h('a', { href: `/incidents/${entry.incident.id}`, 'data-link': true }, nameOf('type', entry.incident.type)),
        ' ',
        severityChip(entry.incident.severity),
        ' ',
        statusChip(entry.incident.status, entry.incident.resolution),
      );
      break;
    case 'command':
      kind = 'command';
      body = commandText(entry.command);
      break;
    case 'person':
      kind = 'person';
      body = personText(entry.action);
      break;
  }
  return h('li', { class: `tl tl-${kind}`, 'data-kind': kind }, h('time', { datetime: entry.at }, formatTime(entry.at)), h('span', { class: 'tl-body' }, body));
}

export function incidentView(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const me = session()!;
  let detail: IncidentDetail | null = null;
  let order: OrderView | null = null;
  let trail: TrailEntry[] = [];
  let agents: Agent[] = [];
  let notice = '';
  let openForm = '';
  let generation = 0;
  let unmasked: UnmaskedCustomer['customer'] | null = null;  // shown once asked for; never kept beyond this page

  const page = h('div', { class: 'page incident-page', 'data-testid': 'incident-page' }, h('p', { class: 'muted' }, t('incident.loading')));
  clear(root, page);

  async function load() {
    const mine = ++generation;
    try {
      const next = await get<IncidentDetail>(`/v1/incidents/${encodeURIComponent(id)}`);
      const orderView = next.incident.order_id
        ? await get<OrderView>(`/v1/orders/${encodeURIComponent(next.incident.order_id)}?masked=true`).catch(() => null)
        : null;
      // The order's links of the audit chain (404: none yet, or no chain kept).
      const nextTrail = next.incident.order_id
        ? (await get<{ trail: TrailEntry[] }>(`/v1/orders/${encodeURIComponent(next.incident.order_id)}/trail`).catch(() => ({ trail: [] }))).trail
        : [];
      if (can(me.role, 'act') && next.case && (next.case.status === 'waiting' || next.case.status === 'assigned')) {
        agents = (await get<{ items: Agent[] }>('/v1/agents').catch(() => ({ items: [] }))).items;
      }
      if (mine !== generation) return;
      detail = next;
      order = orderView;
      trail = nextTrail;
      draw();
    } catch (error) {
      if (mine !== generation) return;
      if (error instanceof ApiError && error.status === 404) {
        clear(page, h('p', { class: 'error-box', role: 'alert' }, t('incident.not_found', { id })), backLink());
      } else {
        clear(page, errorBox(error, () => void load()), backLink());
      }
    }
  }

  function backLink() {
    return h('a', { href: boardHref(), 'data-link': true, class: 'back' }, `← ${t('incident.back')}`);
  }

  function actionsPanel(): HTMLElement | null {
    if (!detail || !can(me.role, 'act')) return null;
    const record = detail.case;
    const body = h('div', { class: 'actions' });
    const panel = section(t('incident.actions'), body);
    panel.dataset.testid = 'actions';
    if (!record) {
      body.append(h('p', { class: 'muted' }, t('incident.actions.not_case')));
      return panel;
    }
    if (record.status === 'resolved' || record.status === 'false_positive') {
      body.append(h('p', { class: 'muted' }, t('incident.actions.closed')));
      return panel;
    }
    if (!me.agentId) {
      body.append(h('p', { class: 'muted' }, t('incident.actions.need_agent')));
      return panel;
    }
    const status = h('p', { class: 'notice', role: 'status', 'data-testid': 'action-notice' }, notice);
    const formHolder = h('div', { class: 'action-form-holder' });
    const run = async (action: string, fields: Record<string, string>, errorTarget: HTMLElement) => {
      errorTarget.textContent = '';
      try {
        await post(`/v1/incidents/${encodeURIComponent(id)}/${action}`, { agent_id: me.agentId, ...fields });
        notice = `${t(`action.${action}` as MessageKey)}: ${t('incident.applied')}`;
        openForm = '';
        await load();
      } catch (error) {
        errorTarget.textContent = errorText(error);
      }
    };
    const form = (action: string, inputs: [string, string, HTMLElement][], submitLabel = t('action.submit')) => {
      const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'action-error' });
      const el = h('form', { class: 'action-form', 'data-form': action }, ...inputs.map(([, label, control]) => field(label, control)), error,
        h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-testid': `submit-${action}` }, submitLabel),
          h('button', { type: 'button', onclick: () => { openForm = ''; draw(); } }, t('common.close'))));
      el.addEventListener('submit', (event) => {
        event.preventDefault();
        const values: Record<string, string> = {};
        for (const [name, label, control] of inputs) {
          const value = (control as HTMLInputElement).value.trim();
          if (!value) {
            error.textContent = t('action.required', { field: label });
            (control as HTMLElement).focus();
            return;
          }
          values[name] = value;
        }
        void run(action, values, error);
      });
      return el;
    };
    const forms: Record<string, () => HTMLElement> = {
      resolve: () =>
        form('resolve', [
          ['resolution_code', t('action.code'), select({ name: 'resolution_code', 'data-testid': 'resolve-code' }, CODES.map((code): [string, string] => [code, nameOf('code', code)]))],
          ['note', t('action.note'), h('textarea', { name: 'note', rows: 2, maxlength: 2000, 'data-testid': 'resolve-note' })],
        ]),
      escalate: () => form('escalate', [['reason', t('action.reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 2000 })]]),
      reassign: () =>
        form('reassign', [
          ['to', t('action.to'), select({ name: 'to', 'data-testid': 'reassign-to' },
            agents.filter((agent) => agent.on_duty && agent.agent_id !== record.assignee && agent.agent_id !== me.agentId).map((agent): [string, string] => [agent.agent_id, `${agent.name || agent.agent_id} (${agent.agent_id})`]))],
        ]),
      comment: () => form('comment', [['text', t('action.text'), h('textarea', { name: 'text', rows: 2, maxlength: 2000, 'data-testid': 'comment-text' })]]),
      false_positive: () => form('false_positive', [], t('action.confirm_fp')),
    };
    const buttons = h('div', { class: 'row wrap', role: 'toolbar', 'aria-label': t('incident.actions') });
    const immediate = (action: string) => async () => {
      const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'action-error' });
      clear(formHolder, error);
      await run(action, {}, error);
    };
    const button = (action: string, onclick: () => void) =>
      h('button', { type: 'button', 'data-action': action, 'data-testid': `action-${action}`, 'aria-expanded': action in forms ? String(openForm === action) : null, onclick }, t(`action.${action}` as MessageKey));
    // The service lets an agent act only on its own cases (comments excepted), and only the
    // assignee acknowledges: what it would refuse is not offered (docs/dashboard.md).
    const mine = record.assignee === me.agentId;
    const supervisor = can(me.role, 'supervise');
    if (!record.acknowledged_at && mine) buttons.append(button('ack', () => void immediate('ack')()));
    const offered = mine || supervisor ? ['resolve', 'escalate', 'reassign', 'comment', 'false_positive'] : ['comment'];
    for (const action of offered) {
      buttons.append(button(action, () => { openForm = openForm === action ? '' : action; notice = ''; draw(); }));
    }
    const notYours = !mine && !supervisor
      ? h('p', { class: 'muted', 'data-testid': 'not-yours' }, record.assignee ? t('incident.actions.not_yours', { assignee: record.assignee }) : t('incident.actions.queued'))
      : null;
    body.append(...(notYours ? [notYours] : []), buttons, status, formHolder);
    if (openForm && forms[openForm]) {
      const el = forms[openForm]();
      formHolder.append(el);
      queueMicrotask(() => (el.querySelector('select, textarea, input, button[type=submit]') as HTMLElement | null)?.focus());
    }
    return panel;
  }

  // Supervisors and admins may see the clear customer data, one order at a time, with a reason.
  function unmaskControl(): HTMLElement | null {
    const orderId = detail?.incident.order_id;
    if (!orderId || !order?.customer || unmasked || !can(me.role, 'supervise')) return null;
    if (openForm !== 'unmask') {
      return h('button', { type: 'button', 'data-testid': 'action-unmask', onclick: () => { openForm = 'unmask'; draw(); } }, t('customer.unmask'));
    }
    const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000, 'data-testid': 'unmask-reason' }) as HTMLTextAreaElement;
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'action-error' });
    const el = h('form', { class: 'action-form', 'data-form': 'unmask' }, field(t('customer.reason'), reason), error,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'submit-unmask' }, t('customer.unmask')),
        h('button', { type: 'button', onclick: () => { openForm = ''; draw(); } }, t('common.close'))));
    el.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        error.textContent = t('action.required', { field: t('customer.reason') });
        reason.focus();
        return;
      }
      post<UnmaskedCustomer>(`/v1/orders/${encodeURIComponent(orderId)}/unmask`, { reason: reason.value.trim() })
        .then((answer) => { unmasked = answer.customer; openForm = ''; draw(); })
        .catch((failure) => { error.textContent = errorText(failure); });
    });
    queueMicrotask(() => reason.focus());
    return el;
  }

  function draw() {
    if (!detail) return;
    const incident = detail.incident;
    const record = detail.case;
    const role = me.role;
    const focused = document.activeElement?.getAttribute('data-testid');

    const header = h(
      'header',
      { class: 'incident-head' },
      backLink(),
      h('h1', {}, typeLabel(incident.type)),
      h('div', { class: 'row wrap' }, severityChip(incident.severity), statusChip(incident.status, incident.resolution),
        h('span', { class: 'chip' }, `${t('col.priority')} ${incident.priority}`), h('code', { 'data-testid': 'incident-id' }, incident.id)),
    );

    const facts = section(
      t('incident.facts'),
      dl([
        [t('col.subject'), subjectText(incident)],
        [t('incident.order'), incident.order_id],
        [t('incident.stage'), incident.stage ? nameOf('stage', incident.stage) : null],
        [t('incident.sku'), incident.sku],
        [t('board.filter.zone'), incident.zone],
        [t('board.filter.community'), incident.community],
        [t('incident.user'), order?.user_id ? `${order.user_id}${order.user_tier === 'vip' ? ' · VIP' : ''}` : null],
        [t('incident.rider'), order?.rider_id],
        [t('incident.amount'), order?.amount !== undefined ? formatMoney(order.amount) : null],
        [t('incident.state'), order ? nameOf('milestone', order.state) : null],
        [t('incident.promise'), order?.promise_at ? formatTime(order.promise_at) : null],
        [t('customer.phone'), unmasked?.phone ?? order?.customer?.phone],
        [t('customer.address'), unmasked?.address ? [unmasked.address.text, unmasked.address.building, unmasked.address.unit, unmasked.address.room].filter(Boolean).join(' · ') : order?.customer?.address],
        [t('col.detected'), formatTime(incident.detected_at)],
        [t('incident.escalated_at'), incident.escalated_at ? formatTime(incident.escalated_at) : null],
        [t('incident.resolved_at'), incident.resolved_at ? formatTime(incident.resolved_at) : null],
        [t('incident.resolution'), incident.resolution ? nameOf('resolution', incident.resolution) : null],
        [t('col.assignee'), incident.assignee],
        [t('incident.loss'), incident.loss ? formatMoney(incident.loss) : null],
      ]),
    );

    const caseCard = section(
      t('incident.case'),
      record
        ? dl([
            [t('col.status'), nameOf('case', record.status)],
            [t('col.assignee'), record.assignee],
            [t('incident.cause'), causeName(record.cause)],
            [t('incident.escalated_at'), formatTime(record.escalated_at)],
            [t('incident.sla_deadline'), h('span', {}, formatTime(record.sla_deadline), record.acknowledged_at || !isActive(incident) ? '' : [' ', slaCell(incident, record.sla_deadline)])],
            [t('incident.acknowledged_at'), record.acknowledged_at ? formatTime(record.acknowledged_at) : null],
            [t('incident.sla_breached'), record.sla_breached ? t('common.yes') : null],
            [t('action.code'), nameOf('code', record.resolution_code)],
            [t('action.note'), record.resolution_note ? maskText(record.resolution_note, role) : null],
            [t('incident.closed_by'), record.closed_by],
          ])
        : h('p', { class: 'muted' }, t('incident.case.none')),
    );
    caseCard.dataset.testid = 'case';

    // The timeline: the order's own when there is an order, else what happened to the incident.
    let entries: TimelineEntry[] = order?.timeline ?? [];
    if (!order) {
      entries = [
        { at: incident.detected_at, kind: 'incident', incident } as TimelineEntry,
        ...detail.commands.map((command): TimelineEntry => ({ at: command.at, kind: 'command', command })),
        ...detail.desk_actions.map((action): TimelineEntry => ({ at: action.at, kind: 'person', incident_id: incident.id, action })),
      ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    }
    const timeline = section(
      t('incident.timeline'),
      entries.length
        ? h('ol', { class: 'timeline', 'data-testid': 'timeline' }, entries.map((entry) => timelineItem(entry, incident.id)))
        : h('p', { class: 'muted' }, t('incident.timeline.none')),
    );

    const evidence = section(
      t('incident.evidence'),
      dl([
        [t('incident.evidence.events'), incident.evidence.length ? h('span', { class: 'ids' }, incident.evidence.map((e) => h('code', {}, e))) : null],
        [t('incident.linked'), incident.linked?.length ? h('span', { class: 'ids' }, incident.linked.map((l) => h('a', { href: `/incidents/${l}`, 'data-link': true }, l))) : null],
        [t('incident.steps'), incident.actions.length ? incident.actions.map((a) => nameOf('command', a)).join(' → ') : null],
      ]),
    );

    const playbook = section(
      t('incident.playbook'),
      detail.commands.length
        ? h('ol', { class: 'timeline', 'data-testid': 'commands' }, detail.commands.map((command) => timelineItem({ at: command.at, kind: 'command', command }, incident.id)))
        : h('p', { class: 'muted' }, t('incident.playbook.none')),
    );

    const similar = section(
      t('incident.similar'),
      detail.similar.length
        ? h('ul', { class: 'similar', 'data-testid': 'similar' }, detail.similar.map((other) =>
            h('li', {}, h('a', { href: `/incidents/${other.incident_id}`, 'data-link': true }, other.incident_id), ' ',
              h('span', { class: 'chip' }, nameOf('case', other.ended)), ' ',
              [nameOf('code', other.resolution_code), other.resolution_note ? maskText(other.resolution_note, role) : '', other.closed_by, formatDuration(other.handling_ms)].filter(Boolean).join(' · '),
              ' ', h('span', { class: 'muted' }, t('incident.similar.distance', { n: other.distance })))))
        : h('p', { class: 'muted' }, t('incident.similar.none')),
    );

    const comments = section(
      t('incident.comments'),
      record?.comments.length
        ? h('ul', { class: 'comments', 'data-testid': 'comments' }, record.comments.map((comment) =>
            h('li', {}, h('strong', {}, comment.agent_id), ' ', h('time', { datetime: comment.at }, formatTime(comment.at)), h('p', {}, maskText(comment.text, role)))))
        : h('p', { class: 'muted' }, t('incident.comments.none')),
    );

    const others = detail.order_incidents?.length
      ? section(t('incident.other'), h('ul', { class: 'similar' }, detail.order_incidents.map((other) =>
          h('li', {}, h('a', { href: `/incidents/${other.id}`, 'data-link': true }, nameOf('type', other.type)), ' ', severityChip(other.severity), ' ', statusChip(other.status, other.resolution)))))
      : null;

    const trailCard = trail.length
      ? h('section', { class: 'card' },
          h('details', { 'data-testid': 'trail' },
            h('summary', {}, h('h2', { class: 'inline' }, t('incident.trail', { n: trail.length }))),
            h('ol', { class: 'timeline' }, trail.map((entry) =>
              h('li', { class: 'tl tl-audit' }, h('time', { datetime: entry.at }, formatTime(entry.at)),
                h('span', { class: 'tl-body' }, `#${entry.seq} ${nameOf('trail', entry.kind)} ${entry.subject}${entry.actor ? ` · ${entry.actor}` : ''}`))))))
      : null;

    clear(
      page,
      header,
      h('div', { class: 'incident-grid' },
        h('div', { class: 'col' }, actionsPanel(), caseCard, facts, unmaskControl(), unmasked ? h('p', { class: 'notice', 'data-testid': 'unmask-notice' }, t('customer.unmasked')) : null, evidence),
        h('div', { class: 'col' }, timeline, playbook, comments, similar, others, trailCard)),
    );
    if (focused) (page.querySelector(`[data-testid="${focused}"]`) as HTMLElement | null)?.focus();
    document.title = `${nameOf('type', incident.type)} · OrderGuard`;
  }

  // Live: this incident or its commands changed.
  let reloadTimer: number | undefined;
  const stop = onChanges((changes) => {
    const touched = changes.some((change) => (change.kind === 'incident' ? change.incident.id === id : change.command.incident_id === id));
    if (!touched) return;
    window.clearTimeout(reloadTimer);
    reloadTimer = window.setTimeout(() => void load(), 300);
  });
  const ticker = window.setInterval(() => refreshSla(page), 1000);
  void load();
  return () => {
    generation++;
    stop();
    window.clearInterval(ticker);
    window.clearTimeout(reloadTimer);
  };
}
