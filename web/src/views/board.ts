// The live board: incidents by priority, coloured by severity, SLA countdowns, filters,
// counts at a glance; new and changed incidents arrive over the stream.
import { get, query } from '../api';
import { onChanges, onReopen } from '../bus';
import { clear, field, h, select } from '../dom';
import { formatTime, isActive, slaDeadline } from '../format';
import { eventNow } from '../clock';
import { INCIDENT_TYPES, knownNames, nameOf, t } from '../i18n';
import { navigate } from '../router';
import type { Incident, IncidentPage } from '../types';
import { errorBox, refreshSla, severityChip, slaCell, statusChip, subjectText, typeLabel } from './common';

const FILTERS = ['type', 'severity', 'status', 'zone', 'community'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const PAGE = 500;
// A status filter of the board's own: every status still being worked (the API takes one at a time).
const ACTIVE_FILTER = 'active';
const ACTIVE_STATUSES = ['open', 'handling', 'escalated', 'assigned'];
const SHOWN = 200;

// The board's address with its filters, for the ways back to it (the incident page, the menu).
let lastBoard = '/';
export function boardHref(): string {
  return lastBoard;
}

function readFilters(): Filters {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Filters;
}

function matches(filters: Filters, incident: Incident): boolean {
  if (filters.type && incident.type !== filters.type) return false;
  if (filters.severity && incident.severity !== filters.severity) return false;
  if (filters.status === ACTIVE_FILTER ? !isActive(incident) : filters.status && incident.status !== filters.status) return false;
  if (filters.zone && incident.zone !== filters.zone) return false;
  if (filters.community && incident.community !== filters.community) return false;
  return true;
}

function byPriority(a: Incident, b: Incident): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.detected_at !== b.detected_at) return a.detected_at < b.detected_at ? 1 : -1;
  return a.id < b.id ? -1 : 1;
}

export function boardView(root: HTMLElement): () => void {
  let filters = readFilters();
  lastBoard = '/' + query(filters);
  const incidents = new Map<string, Incident>();
  const fresh = new Set<string>();
  const zones = new Set<string>();
  const communities = new Set<string>();
  let total = 0;
  let loaded = false;
  let generation = 0;

  // ---- filters ----
  const typeOptions: [string, string][] = [['', t('board.filter.all')], ...INCIDENT_TYPES.map((type): [string, string] => [type, nameOf('type', type)])];
  const controls = {
    type: select({ name: 'type', 'data-testid': 'filter-type' }, typeOptions, filters.type),
    severity: select(
      { name: 'severity', 'data-testid': 'filter-severity' },
      [['', t('board.filter.all')], ...['high', 'medium', 'low'].map((s): [string, string] => [s, nameOf('severity', s)])],
      filters.severity,
    ),
    status: select(
      { name: 'status', 'data-testid': 'filter-status' },
      [['', t('board.filter.all')], [ACTIVE_FILTER, t('board.filter.active')], ...knownNames('status').map((s): [string, string] => [s, nameOf('status', s)])],
      filters.status,
    ),
    zone: h('input', { name: 'zone', list: 'zones', 'data-testid': 'filter-zone', autocomplete: 'off', size: 10 }),
    community: h('input', { name: 'community', list: 'communities', 'data-testid': 'filter-community', autocomplete: 'off', size: 14 }),
  };
  controls.zone.value = filters.zone;
  controls.community.value = filters.community;
  const zoneList = h('datalist', { id: 'zones' });
  const communityList = h('datalist', { id: 'communities' });
  const apply = () => {
    const next = Object.fromEntries(FILTERS.map((key) => [key, controls[key].value.trim()])) as Filters;
    if (FILTERS.every((key) => next[key] === filters[key])) return;
    filters = next;
    lastBoard = '/' + query(filters);
    history.replaceState(null, '', lastBoard);
    void load();
  };
  let typing: number | undefined;
  for (const key of FILTERS) {
    controls[key].addEventListener('change', apply);
    if (controls[key] instanceof HTMLInputElement) {
      controls[key].addEventListener('input', () => {
        window.clearTimeout(typing);
        typing = window.setTimeout(apply, 500);
      });
    }
  }
  const clearButton = h(
    'button',
    {
      type: 'button',
      'data-testid': 'filter-clear',
      onclick: () => {
        for (const key of FILTERS) controls[key].value = '';
        apply();
      },
    },
    t('board.filter.clear'),
  );
  const filterBar = h(
    'form',
    { class: 'filters', 'aria-label': t('board.filters'), onsubmit: (event: Event) => { event.preventDefault(); apply(); } },
    field(t('board.filter.type'), controls.type),
    field(t('board.filter.severity'), controls.severity),
    field(t('board.filter.status'), controls.status),
    field(t('board.filter.zone'), controls.zone),
    field(t('board.filter.community'), controls.community),
    clearButton,
    zoneList,
    communityList,
  );

  // ---- counts at a glance ----
  const countCells = {
    active: h('strong', { 'data-testid': 'count-active' }, '…'),
    high: h('strong', { 'data-testid': 'count-high' }, '…'),
    people: h('strong', { 'data-testid': 'count-people' }, '…'),
    overdue: h('strong', { 'data-testid': 'count-overdue' }, '…'),
    resolved: h('strong', { 'data-testid': 'count-resolved' }, '…'),
    total: h('strong', { 'data-testid': 'count-total' }, '…'),
  };
  const retracted = h('span', { class: 'tile-foot' });
  const tile = (key: keyof typeof countCells, label: string, tone = '') =>
    h('div', { class: `tile ${tone}` }, h('span', { class: 'tile-label' }, label), countCells[key]);
  const counts = h(
    'div',
    { class: 'tiles', role: 'group', 'aria-label': 'counts' },
    tile('active', t('board.counts.active')),
    tile('high', t('board.counts.high'), 'tone-high'),
    tile('people', t('board.counts.people'), 'tone-medium'),
    tile('overdue', t('board.counts.overdue'), 'tone-high'),
    tile('resolved', t('board.counts.resolved'), 'tone-ok'),
    tile('total', t('board.counts.total')),
  );
  counts.lastElementChild!.append(retracted);

  // ---- the table ----
  const tbody = h('tbody');
  const summary = h('p', { class: 'muted', 'data-testid': 'board-summary', 'aria-live': 'polite' });
  const table = h(
    'table',
    { class: 'board', 'data-testid': 'board' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...(['col.priority', 'col.severity', 'col.type', 'col.subject', 'col.place', 'col.status', 'col.detected', 'col.sla', 'col.assignee'] as const).map((key) =>
          h('th', { scope: 'col' }, t(key)),
        ),
      ),
    ),
    tbody,
  );
  const message = h('div');

  // The rest of a long list, a page at a time (INTERFACES.md: the list is paginated): first
  // what is already here, then the next page of each status from the service.
  let shownLimit = SHOWN;
  let cursors = new Map<string, string>();  // status -> cursor of its next page
  const more = h('button', { type: 'button', class: 'more', 'data-testid': 'board-more', hidden: true }, t('board.more'));
  more.addEventListener('click', () => void showMore());
  async function showMore() {
    shownLimit += SHOWN;
    if (incidents.size < shownLimit && cursors.size) {
      const mine = generation;
      more.disabled = true;
      try {
        const pages = await Promise.all(
          [...cursors].map(async ([status, cursor]) => [status, await get<IncidentPage>(`/v1/incidents${query({ ...filters, status, limit: PAGE, cursor })}`)] as const),
        );
        if (mine !== generation) return;
        cursors = new Map();
        for (const [status, page] of pages) {
          for (const incident of page.items) {
            incidents.set(incident.id, incident);
            remember(incident);
          }
          if (page.next_cursor) cursors.set(status, page.next_cursor);
        }
      } catch (error) {
        clear(message, errorBox(error, () => void showMore()));
      } finally {
        more.disabled = false;
      }
    }
    draw();
  }
  clear(root, h('div', { class: 'page board-page' }, counts, filterBar, message, summary, h('div', { class: 'table-wrap' }, table), more));

  function row(incident: Incident): HTMLTableRowElement {
    const link = h('a', { href: `/incidents/${incident.id}`, 'data-link': true, class: 'row-link' }, typeLabel(incident.type));
    const tr = h(
      'tr',
      {
        class: `sev-row sev-${incident.severity}${fresh.has(incident.id) ? ' fresh' : ''}${isActive(incident) ? '' : ' closed'}`,
        'data-testid': 'board-row',
        'data-id': incident.id,
        'data-type': incident.type,
        'data-severity': incident.severity,
        'data-status': incident.status,
      },
      h('td', { class: 'num' }, incident.priority),
      h('td', {}, severityChip(incident.severity)),
      h('td', {}, link),
      h('td', {}, subjectText(incident)),
      h('td', {}, [incident.zone, incident.community].filter(Boolean).join(' / ') || t('common.none')),
      h('td', {}, statusChip(incident.status, incident.resolution)),
      h('td', { class: 'time' }, formatTime(incident.detected_at)),
      h('td', {}, slaCell(incident)),
      h('td', {}, incident.assignee ?? ''),
    );
    tr.addEventListener('click', (event) => {
      if ((event.target as Element).closest('a')) return;
      navigate(`/incidents/${incident.id}`);
    });
    return tr;
  }

  function draw() {
    const sorted = [...incidents.values()].sort(byPriority);
    const shown = sorted.slice(0, shownLimit);
    more.hidden = !(sorted.length > shownLimit || cursors.size > 0);
    clear(tbody, shown.map(row));
    if (!shown.length) {
      tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'empty' }, loaded ? t('board.empty') : t('board.waiting'))));
    }
    summary.textContent = t('board.showing', { shown: shown.length, total: Math.max(total, incidents.size) });
    const now = eventNow();
    countCells.overdue.textContent = String(
      sorted.filter((incident) => {
        const deadline = slaDeadline(incident);
        return deadline !== null && deadline < now;
      }).length,
    );
    for (const [set, list] of [
      [zones, zoneList],
      [communities, communityList],
    ] as const) {
      if (list.childElementCount !== set.size) clear(list, [...set].sort().map((value) => h('option', { value })));
    }
    fresh.clear();
  }

  function remember(incident: Incident) {
    if (incident.zone) zones.add(incident.zone);
    if (incident.community) communities.add(incident.community);
  }

  // Totals by status, under the same type / zone / community as the table.
  let countsTimer: number | undefined;
  let countsDue = false;
  async function loadCounts() {
    const scope = { type: filters.type, zone: filters.zone, community: filters.community, limit: 1 };
    const totalOf = async (extra: Record<string, string>) =>
      (await get<IncidentPage>(`/v1/incidents${query({ ...scope, ...extra })}`)).total;
    const statuses = ['open', 'handling', 'escalated', 'assigned', 'resolved', 'retracted'];
    const [byStatus, high, all] = await Promise.all([
      Promise.all(statuses.map((status) => totalOf({ status }))),
      Promise.all(statuses.slice(0, 4).map((status) => totalOf({ status, severity: 'high' }))),
      totalOf({}),
    ]);
    countCells.active.textContent = String(byStatus[0] + byStatus[1] + byStatus[2] + byStatus[3]);
    countCells.people.textContent = String(byStatus[2] + byStatus[3]);
    countCells.resolved.textContent = String(byStatus[4]);
    countCells.high.textContent = String(high.reduce((a, b) => a + b, 0));
    countCells.total.textContent = String(all);
    retracted.textContent = t('board.counts.retracted', { n: byStatus[5] });
  }
  function scheduleCounts() {
    if (countsTimer !== undefined) {
      countsDue = true;
      return;
    }
    void loadCounts().catch(() => {});
    countsTimer = window.setTimeout(() => {
      countsTimer = undefined;
      if (countsDue) {
        countsDue = false;
        scheduleCounts();
      }
    }, 3000);
  }

  async function load() {
    const mine = ++generation;
    try {
      const statuses = filters.status === ACTIVE_FILTER ? ACTIVE_STATUSES : [filters.status];
      const pages = await Promise.all(statuses.map((status) => get<IncidentPage>(`/v1/incidents${query({ ...filters, status, limit: PAGE })}`)));
      if (mine !== generation) return;
      const page = { items: pages.flatMap((one) => one.items), total: pages.reduce((sum, one) => sum + one.total, 0) };
      cursors = new Map();
      pages.forEach((one, i) => {
        if (one.next_cursor) cursors.set(statuses[i], one.next_cursor);
      });
      shownLimit = SHOWN;
      incidents.clear();
      for (const incident of page.items) {
        incidents.set(incident.id, incident);
        remember(incident);
      }
      total = page.total;
      loaded = true;
      clear(message);
      draw();
      scheduleCounts();
    } catch (error) {
      if (mine !== generation) return;
      clear(message, errorBox(error, () => void load()));
    }
  }

  const stopChanges = onChanges((changes) => {
    let changed = false;
    for (const change of changes) {
      if (change.kind !== 'incident') continue;
      const incident = change.incident;
      remember(incident);
      const known = incidents.has(incident.id);
      if (matches(filters, incident)) {
        if (!known) total += 1;
        incidents.set(incident.id, incident);
        fresh.add(incident.id);
        changed = true;
      } else if (known) {
        incidents.delete(incident.id);
        total = Math.max(0, total - 1);
        changed = true;
      }
    }
    if (!changed) return;
    // Keep the most urgent; the rest stay on the server.
    if (incidents.size > 10 * PAGE) {
      const keep = [...incidents.values()].sort(byPriority).slice(0, 10 * PAGE);
      incidents.clear();
      for (const incident of keep) incidents.set(incident.id, incident);
    }
    draw();
    scheduleCounts();
  });
  const stopReopen = onReopen(() => void load());
  const ticker = window.setInterval(() => refreshSla(tbody), 1000);
  draw();
  void load();

  return () => {
    generation++;
    stopChanges();
    stopReopen();
    window.clearInterval(ticker);
    window.clearTimeout(countsTimer);
    window.clearTimeout(typing);
  };
}
