import { describe, expect, it } from 'vitest';
import { parseWatermark } from './clock';
import { formatClock, formatDuration, formatMoney, maskText, slaDeadline } from './format';
import { causeName, initLang, nameOf, t } from './i18n';
import { can } from './session';
import { SseParser } from './sse';
import { bucketWidth, byTypeOverTime, heatMap } from './stats';
import type { Incident } from './types';
import { ApiError } from './api';
import { errorText } from './views/common';
import { errorLine } from './views/rules';

const incident = (over: Partial<Incident>): Incident => ({
  id: 'inc-1', type: 'DELIVERY_LATE', severity: 'medium', priority: 50, subject: { kind: 'order', id: 'O1' },
  detected_at: '2026-11-21T02:00:00.000Z', status: 'open', evidence: [], actions: [], ...over,
});

describe('the stream parser', () => {
  it('reads events split anywhere, with comments and CRLF', () => {
    const parser = new SseParser();
    const text = 'retry: 3000\n: connected\n\nevent: incident\nid: inc-1\ndata: {"a":1}\n\r\nevent: command\r\nid: cmd-1\r\ndata: {"b":\r\ndata: 2}\r\n\r\n: ping\n\n';
    const out = [];
    for (let i = 0; i < text.length; i += 7) out.push(...parser.feed(text.slice(i, i + 7)));
    expect(out).toEqual([
      { event: 'incident', id: 'inc-1', data: '{"a":1}' },
      { event: 'command', id: 'cmd-1', data: '{"b":\n2}' },
    ]);
  });
});

describe('formats', () => {
  it('money in yuan, durations and clocks', () => {
    initLang('zh');
    expect(formatMoney(1180)).toBe('¥11.80');
    expect(formatDuration(75_000)).toBe('1分15秒');
    expect(formatDuration(3 * 3600_000 + 120_000)).toBe('3小时2分');
    expect(formatClock(-75_000)).toBe('1:15');
    expect(formatClock(3_725_000)).toBe('1:02:05');
    initLang('en');
    expect(formatDuration(75_000)).toBe('1m 15s');
    initLang('zh');
  });

  it('masks phone numbers below supervisor', () => {
    const text = '客户电话 13812345678，订单 O123456789012';
    expect(maskText(text, 'viewer')).toBe('客户电话 138****5678，订单 O123456789012');
    expect(maskText(text, 'agent')).toBe('客户电话 138****5678，订单 O123456789012');
    expect(maskText(text, 'supervisor')).toBe(text);
    expect(maskText('12345678901234', 'viewer')).toBe('12345678901234');
  });

  it('SLA deadlines by severity, from the escalation when there is one', () => {
    expect(slaDeadline(incident({ severity: 'high' }))).toBe(Date.parse('2026-11-21T02:01:00.000Z'));
    expect(slaDeadline(incident({ severity: 'low', escalated_at: '2026-11-21T03:00:00.000Z', status: 'escalated' }))).toBe(Date.parse('2026-11-21T03:30:00.000Z'));
    expect(slaDeadline(incident({ status: 'resolved' }))).toBeNull();
    expect(slaDeadline(incident({ status: 'handling' }))).toBeNull();
    expect(slaDeadline(incident({ status: 'assigned' }), '2026-11-21T04:00:00.000Z')).toBe(Date.parse('2026-11-21T04:00:00.000Z'));
  });
});

describe('names and roles', () => {
  it('Chinese by default, English on request, unknown values as they are', () => {
    initLang(null);
    expect(nameOf('type', 'STATE_INCONSISTENT')).toBe('状态不一致');
    expect(t('board.showing', { shown: 3, total: 9 })).toBe('显示 3 条，共 9 条');
    initLang('en');
    expect(nameOf('type', 'STATE_INCONSISTENT')).toBe('Inconsistent state');
    expect(nameOf('type', 'NEW_TYPE')).toBe('NEW_TYPE');
    initLang('zh');
  });

  it('what each role is offered', () => {
    expect(can('ingest', 'view')).toBe(false);
    expect(can('viewer', 'view')).toBe(true);
    expect(can('viewer', 'act')).toBe(false);
    expect(can('agent', 'act')).toBe(true);
    expect(can('agent', 'supervise')).toBe(false);
    expect(can('supervisor', 'admin')).toBe(false);
    expect(can('admin', 'admin')).toBe(true);
  });
});

describe('analytics sums', () => {
  it('counts by type per bucket, the rare types as other', () => {
    const list = [
      incident({ type: 'A', detected_at: '2026-11-21T00:00:00Z' }),
      incident({ type: 'A', detected_at: '2026-11-21T00:20:00Z' }),
      incident({ type: 'B', detected_at: '2026-11-21T01:10:00Z' }),
    ];
    const series = byTypeOverTime(list);
    expect(bucketWidth(70 * 60_000)).toBe(300_000);
    expect(series.buckets.length).toBe(15);
    expect(series.types).toEqual(['A', 'B']);
    expect(series.counts.A[0] + series.counts.A[4]).toBe(2);
    expect(series.counts.B[14]).toBe(1);
  });

  it('the heat map by community and type', () => {
    const heat = heatMap([
      incident({ type: 'A', community: 'X' }),
      incident({ type: 'A', community: 'X' }),
      incident({ type: 'B', community: 'Y' }),
      incident({ type: 'B' }),
    ]);
    expect(heat.communities).toEqual(['X', 'Y']);
    expect(heat.types).toEqual(['A', 'B']);
    expect(heat.cells).toEqual([[0, 0, 2], [1, 1, 1]]);
    expect(heat.max).toBe(2);
  });
});

describe('service texts', () => {
  it('finds the line of a refused rules file', () => {
    expect(errorLine('PUT /v1/rules:27: types.PAYMENT_TIMEOUT.timeout: not a duration')).toBe(27);
    expect(errorLine('no line here')).toBeNull();
  });

  it('reads the watermark from the metrics', () => {
    expect(parseWatermark('# HELP x\norderguard_state{name="watermark_ms"} 1763683200000\n')).toBe(1763683200000);
    expect(parseWatermark('orderguard_state{name="watermark_ms"} 1.7636832e+12\n')).toBe(1763683200000);
    expect(parseWatermark('orderguard_state{name="watermark_ms"} 0\n')).toBeNull();
  });

  it('names escalation causes and resolution codes in the user language', () => {
    initLang('zh');
    expect(causeName('repeat_customer')).toBe('7 天内多次异常的用户');
    expect(causeName('playbook:step1')).toBe('处理流程要求人工（step1）');
    expect(causeName('step_failed:redo')).toBe('处理步骤失败（redo）');
    expect(causeName('rate_cap: refund.issue 200/1h reached')).toBe('rate_cap: refund.issue 200/1h reached');
    expect(nameOf('code', 'fixed')).toBe('已修正数据');
    initLang('en');
    expect(causeName('step_failed:redo')).toBe('a step failed (redo)');
    expect(nameOf('channel', 'sms')).toBe('SMS');
    initLang('zh');
  });

  it('says what went wrong in the user language, with the service reason when it gave one', () => {
    initLang('zh');
    expect(errorText(new ApiError(0, 'unreachable', 'Failed to fetch'))).toContain('无法连接 OrderGuard 服务');
    expect(errorText(new ApiError(403, 'forbidden', 'incident inc-1 is not assigned to A2'))).toBe(
      '当前角色无权执行此操作（服务说明：incident inc-1 is not assigned to A2）');
    expect(errorText(new ApiError(409, 'refused', 'assigned to A1, not to you (S1)'))).toContain('操作被拒绝');
    expect(errorText(new ApiError(429, 'overloaded', 'too much waiting', 3))).toBe('服务繁忙，请 3 秒后重试');
    expect(errorText(new ApiError(502, 'http_502', ''))).toBe('服务出错（HTTP 502），请稍后重试');
    initLang('en');
    expect(errorText(new ApiError(502, 'http_502', ''))).toBe('The service failed (HTTP 502): retry later');
    initLang('zh');
  });
});
