// Analytics: incidents by type over time, the community × type heat map (hotspots), and the
// handling measures against the seed targets, with per-type precision from false-positive marks.
import { BarChart, HeatmapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { get, query } from '../api';
import { clear, h } from '../dom';
import { formatDuration, formatMoney, formatPercent, formatTime } from '../format';
import { lang, locale, nameOf, t, type MessageKey } from '../i18n';
import { byTypeOverTime, heatMap } from '../stats';
import type { Incident, IncidentPage, Kpis, MeasureGroup } from '../types';
import { errorBox, section } from './common';

echarts.use([BarChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

const MAX_PAGES = 20;

// ECharts tooltips are HTML: names from the data are escaped.
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const PAGE = 500;

const TARGETS: { key: string; label: MessageKey; format: (value: number) => string; at_least: boolean }[] = [
  { key: 'auto_handling_rate', label: 'an.auto_handling_rate', format: (v) => formatPercent(v), at_least: true },
  { key: 'manual_intervention_rate', label: 'an.manual_intervention_rate', format: (v) => formatPercent(v), at_least: false },
  { key: 'mean_handling_ms', label: 'an.mean_handling_ms', format: (v) => formatDuration(v), at_least: false },
  { key: 'high_sla_attainment', label: 'an.high_sla_attainment', format: (v) => formatPercent(v), at_least: true },
  { key: 'loss_rate', label: 'an.loss_rate', format: (v) => formatPercent(v, 3), at_least: false },
];

export function analyticsView(root: HTMLElement): () => void {
  const page = h('div', { class: 'page analytics-page', 'data-testid': 'analytics' });
  clear(root, page);
  const charts: echarts.ECharts[] = [];
  let generation = 0;

  const disposeCharts = () => {
    while (charts.length) charts.pop()!.dispose();
  };

  function chart(el: HTMLElement, option: echarts.EChartsCoreOption) {
    const instance = echarts.init(el, undefined, { renderer: 'canvas', locale: lang() === 'zh' ? 'ZH' : 'EN' });
    instance.setOption(option);
    charts.push(instance);
  }

  function targetCards(kpis: Kpis): HTMLElement {
    const grid = h('div', { class: 'tiles kpis' });
    for (const target of TARGETS) {
      const found = kpis.targets[target.key];
      const value = found?.value;
      const met = found?.met;
      grid.append(
        h('div', { class: `tile ${met === true ? 'tone-ok' : met === false ? 'tone-high' : ''}`, 'data-testid': `kpi-${target.key}` },
          h('span', { class: 'tile-label' }, t(target.label)),
          h('strong', {}, value === null || value === undefined ? t('common.none') : target.format(value)),
          h('span', { class: 'tile-foot' }, `${t('an.target', { target: `${target.at_least ? '≥' : '≤'} ${found ? target.format(found.target) : ''}` })} · `,
            h('span', { class: 'verdict' }, met === null || met === undefined ? t('an.no_data') : met ? t('an.met') : t('an.not_met')))),
      );
    }
    return grid;
  }

  // The measures by one grouping of INTERFACES.md (type, zone, community), largest first.
  function groupTable(kpis: Kpis, by: 'type' | 'zone' | 'community'): HTMLElement {
    const groups = by === 'type' ? kpis.by_type : by === 'zone' ? kpis.by_zone : kpis.by_community;
    const rows = Object.entries(groups ?? {}).sort((a, b) => b[1].incidents - a[1].incidents || a[0].localeCompare(b[0]));
    const label = (key: string) => (by === 'type' ? nameOf('type', key) : key);
    const cell = (group: MeasureGroup) => [
      h('td', { class: 'num' }, group.incidents),
      h('td', { class: 'num' }, formatPercent(group.auto_handling_rate)),
      h('td', { class: 'num' }, formatPercent(group.manual_intervention_rate)),
      h('td', { class: 'num' }, formatDuration(group.mean_handling_ms)),
      h('td', { class: 'num' }, group.false_positives),
      h('td', { class: 'num', 'data-testid': 'precision' }, formatPercent(group.precision)),
      h('td', { class: 'num' }, formatMoney(group.loss)),
    ];
    return h('div', { class: 'table-wrap' }, h('table', { class: 'plain numbers', 'data-testid': `per-${by}` },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t(`col.${by}`)),
        ...(['an.incidents', 'an.auto_handling_rate', 'an.manual_intervention_rate', 'an.mean_handling_ms', 'an.false_positives', 'an.precision', 'incident.loss'] as const).map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, rows.map(([key, group]) => h('tr', {}, h('th', { scope: 'row' }, label(key)), ...cell(group)))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, '∑'), ...cell(kpis.overall)))));
  }

  async function loadIncidents(): Promise<{ items: Incident[]; total: number }> {
    const items: Incident[] = [];
    let cursor: string | null = '';
    let total = 0;
    for (let i = 0; i < MAX_PAGES && cursor !== null; i++) {
      const next: IncidentPage = await get<IncidentPage>(`/v1/incidents${query({ limit: PAGE, cursor: cursor || undefined })}`);
      items.push(...next.items);
      total = next.total;
      cursor = next.next_cursor;
    }
    return { items, total };
  }

  async function load() {
    const mine = ++generation;
    try {
      const [kpis, { items, total }] = await Promise.all([get<Kpis>('/v1/kpis'), loadIncidents()]);
      if (mine !== generation) return;
      disposeCharts();
      const series = byTypeOverTime(items);
      const heat = heatMap(items);
      const timeChart = h('div', { class: 'chart', 'data-testid': 'chart-time', role: 'img', 'aria-label': t('an.by_time') });
      const heatChart = h('div', { class: 'chart tall', 'data-testid': 'chart-heat', role: 'img', 'aria-label': t('an.heat') });
      const slaChart = h('div', { class: 'chart short', 'data-testid': 'chart-sla', role: 'img', 'aria-label': t('an.sla') });
      clear(
        page,
        h('div', { class: 'row spread' }, h('h1', {}, t('an.title')), h('button', { type: 'button', onclick: () => void load(), 'data-testid': 'refresh' }, t('an.refresh'))),
        section(t('an.targets'), targetCards(kpis), h('p', { class: 'muted' }, t('an.gmv', { gmv: formatMoney(kpis.gmv), loss: formatMoney(kpis.loss.total) }))),
        h('div', { class: 'two' },
          section(t('an.by_time'), timeChart, h('p', { class: 'muted' }, t('an.sampled', { n: `${items.length} / ${total}` }))),
          section(t('an.sla'), slaChart)),
        section(t('an.heat'), heatChart),
        section(`${t('an.per_type')} · ${t('an.precision')}`, groupTable(kpis, 'type')),
        h('div', { class: 'two' },
          section(t('an.per_zone'), groupTable(kpis, 'zone')),
          section(t('an.per_community'), groupTable(kpis, 'community'))),
      );
      const timeLabel = (ms: number) => {
        const options: Intl.DateTimeFormatOptions = { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
        return new Intl.DateTimeFormat(locale(), options).format(new Date(ms));
      };
      chart(timeChart, {
        animation: false,
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        legend: { type: 'scroll', top: 0 },
        grid: { left: 40, right: 16, top: 40, bottom: 40 },
        xAxis: { type: 'category', data: series.buckets.map(timeLabel) },
        yAxis: { type: 'value', minInterval: 1 },
        series: series.types.map((type) => ({
          name: type === 'other' ? t('an.other') : nameOf('type', type),
          type: 'bar',
          stack: 'all',
          data: series.counts[type],
        })),
      });
      chart(heatChart, {
        animation: false,
        tooltip: {
          formatter: (p: { value: [number, number, number] }) =>
            `${escapeHtml(heat.communities[p.value[1]])}<br>${escapeHtml(nameOf('type', heat.types[p.value[0]]))}: ${p.value[2]}`,
        },
        grid: { left: 130, right: 24, top: 16, bottom: 110 },
        xAxis: { type: 'category', data: heat.types.map((type) => nameOf('type', type)), axisLabel: { rotate: 40, interval: 0 }, splitArea: { show: true } },
        yAxis: { type: 'category', data: heat.communities, splitArea: { show: true } },
        visualMap: { min: 0, max: Math.max(1, heat.max), calculable: true, orient: 'horizontal', left: 'center', bottom: 0, inRange: { color: ['#fff5eb', '#fdae6b', '#e6550d', '#a63603'] } },
        series: [{ type: 'heatmap', data: heat.cells, label: { show: true }, emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }],
      });
      const severities = ['high', 'medium', 'low'] as const;
      chart(slaChart, {
        animation: false,
        tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v}%` },
        grid: { left: 48, right: 16, top: 16, bottom: 28 },
        xAxis: { type: 'category', data: severities.map((s) => nameOf('severity', s)) },
        yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
        series: [{
          type: 'bar',
          data: severities.map((s, i) => ({
            value: kpis.overall.sla_attainment[s] === null ? 0 : Math.round(kpis.overall.sla_attainment[s]! * 1000) / 10,
            itemStyle: { color: ['#c5221f', '#e37400', '#1a73e8'][i] },
          })),
          label: { show: true, position: 'top', formatter: '{c}%' },
        }],
      });
      page.dataset.loadedAt = formatTime(new Date().toISOString());
    } catch (error) {
      if (mine !== generation) return;
      clear(page, h('h1', {}, t('an.title')), errorBox(error, () => void load()));
    }
  }

  const onResize = () => charts.forEach((instance) => instance.resize());
  window.addEventListener('resize', onResize);
  const poll = window.setInterval(() => void load(), 60_000);
  page.append(h('h1', {}, t('an.title')), h('p', { class: 'muted' }, t('incident.loading')));
  void load();
  return () => {
    generation++;
    window.removeEventListener('resize', onResize);
    window.clearInterval(poll);
    disposeCharts();
  };
}
