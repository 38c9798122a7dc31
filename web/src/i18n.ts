// Chinese first (the operations staff), English on a switch; the choice is kept per browser.

export type Lang = 'zh' | 'en';

const messages = {
  'app.title': ['OrderGuard 异常看板', 'OrderGuard operations'],
  'app.skip': ['跳到主要内容', 'Skip to main content'],
  'nav.board': ['实时看板', 'Live board'],
  'nav.workbench': ['坐席工作台', 'Workbench'],
  'nav.analytics': ['统计分析', 'Analytics'],
  'nav.rules': ['规则配置', 'Rules'],
  'nav.audit': ['审计', 'Audit'],
  'nav.signout': ['退出', 'Sign out'],
  'nav.lang': ['English', '中文'],
  'nav.lang.label': ['切换语言', 'Switch language'],
  'nav.timezone': ['时区', 'Time zone'],
  'nav.live': ['实时', 'Live'],
  'nav.reconnecting': ['重连中…', 'Reconnecting…'],
  'nav.offline': ['已断开', 'Offline'],

  'login.title': ['登录', 'Sign in'],
  'login.intro': ['使用管理员发放的访问令牌登录。令牌只保存在本浏览器中。', 'Sign in with the access token your administrator gave you. It stays in this browser only.'],
  'login.token': ['访问令牌', 'Access token'],
  'login.agent': ['坐席工号（令牌未绑定坐席时填写，如主管代为处理）', 'Agent id (when the token is not bound to an agent, as a supervisor’s)'],
  'login.submit': ['登录', 'Sign in'],
  'login.bad_token': ['令牌无效或已吊销', 'The token is unknown or revoked'],
  'login.ingest': ['此令牌只能写入事件，不能查看看板', 'This token can only send events; it cannot view the dashboard'],
  'login.unreachable': ['无法连接服务：{message}', 'Cannot reach the service: {message}'],
  'login.signed_in_as': ['{role}', '{role}'],

  'board.counts.active': ['未关闭', 'Active'],
  'board.counts.high': ['高危未关闭', 'High, active'],
  'board.counts.people': ['待人工', 'With people'],
  'board.counts.overdue': ['SLA 超时', 'SLA overdue'],
  'board.counts.resolved': ['已解决', 'Resolved'],
  'board.counts.total': ['异常总数', 'Incidents'],
  'board.counts.retracted': ['其中已撤回 {n}', '{n} of them retracted'],
  'board.filters': ['筛选', 'Filters'],
  'board.filter.type': ['类型', 'Type'],
  'board.filter.severity': ['严重程度', 'Severity'],
  'board.filter.status': ['状态', 'Status'],
  'board.filter.zone': ['区域', 'Zone'],
  'board.filter.community': ['社区', 'Community'],
  'board.filter.all': ['全部', 'All'],
  'board.filter.active': ['未关闭（全部处理中）', 'Active (all still open)'],
  'board.filter.clear': ['清除筛选', 'Clear filters'],
  'board.showing': ['显示 {shown} 条，共 {total} 条', 'Showing {shown} of {total}'],
  'board.more': ['显示更多', 'Show more'],
  'board.empty': ['暂无符合条件的异常', 'No incident matches'],
  'board.waiting': ['等待异常数据…', 'Waiting for incidents…'],
  'col.priority': ['优先级', 'Priority'],
  'col.severity': ['级别', 'Severity'],
  'col.type': ['类型', 'Type'],
  'col.zone': ['区域', 'Zone'],
  'col.community': ['社区', 'Community'],
  'col.subject': ['对象', 'Subject'],
  'col.place': ['区域 / 社区', 'Zone / community'],
  'col.status': ['状态', 'Status'],
  'col.detected': ['发现时间', 'Detected'],
  'col.sla': ['SLA', 'SLA'],
  'col.assignee': ['处理人', 'Assignee'],
  'col.id': ['编号', 'Id'],
  'col.effective': ['有效优先级', 'Effective priority'],

  'sla.left': ['剩 {time}', '{time} left'],
  'sla.over': ['超时 {time}', '{time} over'],
  'sla.met': ['已处理', 'handled'],

  'incident.back': ['返回看板', 'Back to the board'],
  'incident.loading': ['加载中…', 'Loading…'],
  'incident.not_found': ['找不到异常 {id}', 'No incident {id}'],
  'incident.facts': ['概况', 'Facts'],
  'incident.order': ['订单', 'Order'],
  'incident.amount': ['订单金额', 'Order amount'],
  'incident.user': ['用户', 'Customer'],
  'incident.rider': ['骑手', 'Rider'],
  'incident.state': ['订单状态', 'Order state'],
  'incident.promise': ['承诺送达', 'Promised by'],
  'customer.phone': ['客户电话', 'Customer phone'],
  'customer.address': ['收货地址', 'Delivery address'],
  'customer.unmask': ['查看完整信息', 'Show customer data'],
  'customer.reason': ['查看原因（记入审计链）', 'Reason (written to the audit chain)'],
  'customer.unmasked': ['已显示完整信息，本次查看已记入审计链', 'Shown in full; this view is in the audit chain'],
  'incident.resolution': ['处理结果', 'Resolution'],
  'incident.resolved_at': ['解决时间', 'Resolved'],
  'incident.escalated_at': ['升级时间', 'Escalated'],
  'incident.loss': ['损失', 'Loss'],
  'incident.stage': ['环节', 'Stage'],
  'incident.sku': ['商品', 'SKU'],
  'incident.case': ['人工处理', 'Case'],
  'incident.case.none': ['未转人工', 'Not with people'],
  'incident.sla_deadline': ['SLA 截止', 'SLA deadline'],
  'incident.acknowledged_at': ['确认时间', 'Acknowledged'],
  'incident.sla_breached': ['已超时并上报主管', 'Missed, sent up to a supervisor'],
  'incident.cause': ['原因', 'Cause'],
  'incident.closed_by': ['关闭人', 'Closed by'],
  'incident.timeline': ['订单时间线', 'Order timeline'],
  'incident.timeline.none': ['没有时间线', 'No timeline'],
  'incident.evidence': ['证据', 'Evidence'],
  'incident.evidence.events': ['触发事件', 'Events'],
  'incident.linked': ['关联异常', 'Linked incidents'],
  'incident.playbook': ['自动处理记录', 'What the playbook tried'],
  'incident.playbook.none': ['没有自动处理指令', 'No command was sent'],
  'incident.steps': ['处理步骤', 'Steps'],
  'incident.similar': ['相似历史案例', 'Similar past cases'],
  'incident.similar.none': ['暂无相似的已结案例', 'No similar closed case yet'],
  'incident.similar.distance': ['差异 {n}', 'distance {n}'],
  'incident.comments': ['备注', 'Comments'],
  'incident.comments.none': ['暂无备注', 'No comment yet'],
  'incident.trail': ['审计轨迹（{n} 条）', 'Audit trail ({n})'],
  'incident.other': ['同一订单的其他异常', 'Other incidents of the order'],
  'incident.actions': ['处理操作', 'Actions'],
  'incident.actions.closed': ['此异常已关闭', 'This incident is closed'],
  'incident.actions.not_case': ['此异常未转人工，无需操作', 'This incident is not with people'],
  'incident.actions.need_agent': ['请在登录时填写坐席工号后再操作', 'Sign in with your agent id to act'],
  'incident.applied': ['已提交', 'Done'],
  'incident.updated': ['已更新', 'Updated'],

  'action.ack': ['确认接单', 'Acknowledge'],
  'action.resolve': ['解决', 'Resolve'],
  'action.escalate': ['再升级', 'Escalate'],
  'action.reassign': ['转派', 'Reassign'],
  'action.comment': ['添加备注', 'Comment'],
  'action.false_positive': ['标记误报', 'False positive'],
  'action.code': ['处理结果代码', 'Resolution code'],
  'action.note': ['处理说明', 'Note'],
  'action.reason': ['升级原因', 'Reason'],
  'action.to': ['转派给', 'Reassign to'],
  'action.text': ['备注内容', 'Comment'],
  'action.submit': ['提交', 'Submit'],
  'action.confirm_fp': ['确认标记为误报？', 'Mark as a false positive?'],
  'action.required': ['请填写{field}', '{field} is required'],


  'wb.title': ['坐席工作台', 'Agent workbench'],
  'wb.agent': ['坐席', 'Agent'],
  'wb.no_agent': ['登录时未填写坐席工号，无法显示个人队列', 'No agent id given at sign-in: no queue to show'],
  'wb.unknown_agent': ['坐席 {id} 尚未加入服务台', 'Agent {id} has not joined the desk'],
  'wb.duty': ['值班状态', 'Duty'],
  'wb.on_duty': ['值班中', 'On duty'],
  'wb.off_duty': ['未值班', 'Off duty'],
  'wb.go_on': ['开始值班', 'Go on duty'],
  'wb.go_off': ['结束值班', 'Go off duty'],
  'wb.skills': ['技能', 'Skills'],
  'wb.capacity': ['容量 {used}/{capacity}', 'Load {used}/{capacity}'],
  'wb.queue': ['我的队列', 'My queue'],
  'wb.queue.empty': ['队列为空', 'The queue is empty'],
  'wb.sla': ['我的 SLA', 'My SLA'],
  'wb.sla.in_queue': ['队列中', 'In queue'],
  'wb.sla.overdue': ['已超时', 'Overdue'],
  'wb.sla.soon': ['5 分钟内到期', 'Due within 5 min'],
  'wb.sla.next': ['最近截止', 'Next deadline'],
  'wb.team': ['团队', 'Team'],
  'wb.team.supervisor': ['主管', 'supervisor'],

  'an.title': ['统计分析', 'Analytics'],
  'an.refresh': ['刷新', 'Refresh'],
  'an.targets': ['处理指标（对照种子目标）', 'Handling measures against the seed targets'],
  'an.auto_handling_rate': ['自动处理率', 'Auto-handling rate'],
  'an.manual_intervention_rate': ['人工介入率', 'Manual intervention rate'],
  'an.mean_handling_ms': ['平均处理时长', 'Mean handling time'],
  'an.loss_rate': ['资损率', 'Loss rate'],
  'an.high_sla_attainment': ['高危 SLA 达成率', 'High-severity SLA attainment'],
  'an.target': ['目标 {target}', 'target {target}'],
  'an.met': ['达标', 'met'],
  'an.not_met': ['未达标', 'not met'],
  'an.no_data': ['暂无数据', 'no data yet'],
  'an.by_time': ['各类型异常随时间变化', 'Incidents by type over time'],
  'an.heat': ['社区 × 类型 热力图（热点）', 'Community × type heat map (hotspots)'],
  'an.sla': ['SLA 达成率（按级别）', 'SLA attainment by severity'],
  'an.per_type': ['按类型', 'By type'],
  'an.per_zone': ['按区域', 'By zone'],
  'an.per_community': ['按社区', 'By community'],
  'an.incidents': ['异常数', 'Incidents'],
  'an.precision': ['准确率（误报标记）', 'Precision (false-positive marks)'],
  'an.false_positives': ['误报', 'False positives'],
  'an.sampled': ['基于 {n} 条异常（按优先级取前 10000 条）', 'From {n} incidents (the first 10,000 by priority)'],
  'an.gmv': ['交易额 {gmv}，损失 {loss}', 'GMV {gmv}, loss {loss}'],
  'an.other': ['其他', 'other'],

  'rules.title': ['规则配置', 'Rules'],
  'rules.version': ['当前版本 {version}', 'Version {version}'],
  'rules.apply': ['校验并生效', 'Validate and apply'],
  'rules.reset': ['放弃修改', 'Discard changes'],
  'rules.applied': ['已生效，变更 {n} 项', 'Applied: {n} change(s)'],
  'rules.no_change': ['已生效，无变更', 'Applied: no change'],
  'rules.stale': ['打开此页后规则已被他人修改，本次修改未生效。请先复制你的修改，再载入最新版本。', 'Someone changed the rules after this page read them: nothing was applied. Copy your edit, then load the latest rules.'],
  'rules.reload': ['载入最新版本', 'Load the latest rules'],
  'rules.invalid': ['规则无效，未生效', 'Invalid rules: nothing was applied'],
  'rules.line': ['第 {line} 行', 'line {line}'],
  'rules.help': ['修改后点击“校验并生效”。无效的配置会在出错的行旁显示原因，不会生效。正在处理的异常继续使用原有版本。', 'Edit, then “Validate and apply”. An invalid file is refused with the reason beside its line, and nothing changes. Open incidents keep the version they started with.'],
  'rules.changes': ['变更', 'Changes'],
  'rules.editor': ['规则文件（TOML）', 'Rules file (TOML)'],

  'audit.title': ['审计链', 'Audit chain'],
  'audit.unavailable': ['此服务未保存审计链。', 'This service keeps no audit chain.'],
  'audit.records': ['记录数', 'Records'],
  'audit.last_hash': ['最新哈希', 'Last hash'],
  'audit.last_checkpoint': ['最近检查点', 'Last checkpoint'],
  'audit.verified': ['校验状态', 'Verified'],
  'audit.verify': ['立即校验', 'Verify now'],
  'audit.ok': ['完整，未被篡改', 'Intact'],
  'audit.broken': ['校验失败', 'Broken'],
  'audit.unknown': ['未校验', 'Not verified'],
  'audit.checkpoints': ['共 {n} 个检查点', '{n} checkpoints'],

  'error.forbidden': ['当前角色无权执行此操作', 'Your role may not do this'],
  'error.refused': ['操作被拒绝', 'The action was refused'],
  'incident.actions.not_yours': ['此工单由 {assignee} 处理：只有处理人或主管可以操作，你可以添加备注。', 'This case is assigned to {assignee}: only its assignee or a supervisor can act on it; you can add a comment.'],
  'incident.actions.queued': ['此工单正在排队等待分派：分派后由处理人操作，你可以添加备注。', 'This case waits in the queue: its assignee will act on it; you can add a comment.'],
  'error.reason': ['（服务说明：{reason}）', ' (the service says: {reason})'],
  'error.unreachable': ['无法连接 OrderGuard 服务：请检查网络，或服务是否在运行，然后重试', 'Cannot reach the OrderGuard service: check the network, or that the service is running, then retry'],
  'error.overloaded': ['服务繁忙，请 {seconds} 秒后重试', 'The service is busy: retry in {seconds} s'],
  'error.server': ['服务出错（HTTP {status}），请稍后重试', 'The service failed (HTTP {status}): retry later'],
  'error.generic': ['出错了：{message}', 'Something went wrong: {message}'],
  'error.retry': ['重试', 'Retry'],
  'common.none': ['—', '—'],
  'common.yes': ['是', 'yes'],
  'common.no': ['否', 'no'],
  'common.close': ['关闭', 'Close'],
} as const satisfies Record<string, readonly [string, string]>;

export type MessageKey = keyof typeof messages;

const names: Record<string, Record<string, [string, string]>> = {
  type: {
    PAYMENT_TIMEOUT: ['支付超时', 'Payment timeout'],
    PAYMENT_FAILED: ['支付失败', 'Payment failed'],
    PAID_NO_ORDER: ['支付成功但订单未生成', 'Paid, no order'],
    PAYMENT_AMOUNT_MISMATCH: ['支付金额不符', 'Payment amount mismatch'],
    DUPLICATE_PAYMENT: ['重复支付', 'Duplicate payment'],
    REFUND_FAILED: ['退款失败', 'Refund failed'],
    STOCK_NOT_RELEASED: ['库存未释放', 'Stock not released'],
    OUT_OF_STOCK: ['缺货', 'Out of stock'],
    LOW_STOCK: ['低库存', 'Low stock'],
    PICKING_MISMATCH: ['错发/漏发', 'Picking mismatch'],
    PRICE_MISMATCH: ['价格不符', 'Price mismatch'],
    COUPON_INVALID: ['优惠券无效', 'Invalid coupon'],
    EXPIRING_PRODUCT: ['临期商品', 'Expiring product'],
    DAMAGED_GOODS: ['商品破损/质量问题', 'Damaged goods'],
    WRONG_OR_MISSING_ITEM: ['错件/漏件', 'Wrong or missing item'],
    ADDRESS_INCOMPLETE: ['地址不完整', 'Incomplete address'],
    OUT_OF_DELIVERY_AREA: ['超出配送范围', 'Out of delivery area'],
    ORDER_STUCK: ['订单卡单', 'Order stuck'],
    RIDER_NOT_ASSIGNED: ['未分配骑手', 'No rider assigned'],
    RIDER_CANCELLED: ['骑手取消', 'Rider cancelled'],
    RIDER_STALLED: ['骑手停滞', 'Rider stalled'],
    DELIVERY_LATE_RISK: ['配送延误风险', 'Late delivery risk'],
    DELIVERY_LATE: ['配送超时', 'Late delivery'],
    DELIVERY_FAILED: ['配送失败', 'Delivery failed'],
    FREQUENT_CANCELLATION: ['频繁取消', 'Frequent cancellation'],
    DUPLICATE_UNPAID_ORDERS: ['恶意下单', 'Duplicate unpaid orders'],
    AMOUNT_ANOMALY: ['金额异常', 'Amount anomaly'],
    NEGATIVE_REVIEW: ['异常评价', 'Negative review'],
    RIDER_FREQUENT_CANCEL: ['跑腿员无故取消', 'Rider cancels often'],
    COMMUNITY_HOTSPOT: ['社区异常热点', 'Community hotspot'],
    STATE_INCONSISTENT: ['状态不一致', 'Inconsistent state'],
  },
  severity: { high: ['高', 'High'], medium: ['中', 'Medium'], low: ['低', 'Low'] },
  status: {
    open: ['待处理', 'Open'],
    handling: ['自动处理中', 'Handling'],
    escalated: ['待人工', 'Escalated'],
    assigned: ['已分派', 'Assigned'],
    resolved: ['已解决', 'Resolved'],
    retracted: ['已撤回', 'Retracted'],
  },
  resolution: { auto: ['自动处理', 'automatic'], self: ['自行恢复', 'cleared itself'], manual: ['人工处理', 'by a person'] },
  case: { waiting: ['排队中', 'waiting'], assigned: ['已分派', 'assigned'], resolved: ['已解决', 'resolved'], false_positive: ['误报', 'false positive'] },
  role: { ingest: ['写入', 'ingest'], viewer: ['只读', 'viewer'], agent: ['坐席', 'agent'], supervisor: ['主管', 'supervisor'], admin: ['管理员', 'admin'] },
  skill: {
    payment: ['支付', 'payment'], inventory: ['库存', 'inventory'], delivery: ['配送', 'delivery'],
    aftersale: ['售后', 'after-sales'], risk: ['风控', 'risk'], senior: ['资深', 'senior'],
  },
  subject: { order: ['订单', 'order'], user: ['用户', 'user'], rider: ['骑手', 'rider'], sku: ['商品', 'SKU'], community: ['社区', 'community'] },
  command: {
    'payment.retry': ['重试支付', 'retry payment'], 'order.cancel': ['取消订单', 'cancel order'],
    'order.recreate': ['重建订单', 'recreate order'], 'stock.release': ['释放库存', 'release stock'],
    'order.substitute': ['替换商品', 'substitute item'], 'refund.issue': ['退款', 'refund'],
    'coupon.issue': ['发放优惠券', 'issue coupon'], 'rider.reassign': ['改派骑手', 'reassign rider'],
    'picking.redo': ['重新拣货', 'redo picking'], 'replenish.request': ['补货申请', 'request replenishment'],
    'pickup.offer': ['提供自提点', 'offer pickup point'], 'user.restrict': ['限制用户', 'restrict user'],
    'rider.warn': ['警告骑手', 'warn rider'], 'zone.alert': ['区域告警', 'zone alert'], notify: ['通知', 'notify'],
  },
  code: {
    refunded: ['已退款', 'refunded'], compensated: ['已补偿', 'compensated'], redelivered: ['已补发/重新配送', 'redelivered'],
    contacted: ['已联系客户', 'customer contacted'], fixed: ['已修正数据', 'data fixed'], cancelled: ['已取消订单', 'order cancelled'],
    other: ['其他', 'other'], cleared: ['原因已自行消除', 'the cause cleared'], retracted: ['已撤回（证据表明并非异常）', 'retracted (proved wrong)'],
  },
  cause: {
    state_inconsistent: ['状态不一致，须人工核实', 'inconsistent state: a person checks it'],
    repeat_customer: ['7 天内多次异常的用户', 'repeat customer (3 incidents in 7 days)'],
    remediation_failed_twice: ['同一订单的处理已失败两次', "the order's remediation failed twice"],
    playbook_loops: ['处理流程循环', 'the playbook loops'],
    playbook: ['处理流程要求人工', 'the playbook asks for a person'],
  },
  channel: { app: ['App 推送', 'app'], sms: ['短信', 'SMS'], phone: ['电话', 'phone'] },
  recipient: { customer: ['顾客', 'customer'], rider: ['骑手', 'rider'], agent: ['坐席', 'agent'], operations: ['运营', 'operations'] },
  person: {
    agent_joined: ['坐席加入', 'agent joined'], duty_on: ['开始值班', 'on duty'], duty_off: ['结束值班', 'off duty'],
    escalated: ['升级至人工', 'escalated to people'], assigned: ['已分派', 'assigned'], returned: ['退回队列', 'returned to the queue'],
    acknowledged: ['已确认', 'acknowledged'], resolved: ['已解决', 'resolved'], reassigned: ['已转派', 'reassigned'],
    escalated_further: ['再升级', 'escalated further'], commented: ['备注', 'comment'], false_positive: ['标记误报', 'marked false positive'],
    sla_breached: ['SLA 超时', 'SLA missed'],
  },
  milestone: {
    created: ['下单', 'created'], paid: ['支付成功', 'paid'], payment_failed: ['支付失败', 'payment failed'],
    stock_reserved: ['库存锁定', 'stock reserved'], picking_started: ['开始拣货', 'picking started'],
    picking_completed: ['拣货完成', 'picking completed'], rider_assigned: ['骑手接单', 'rider assigned'],
    rider_cancelled: ['骑手取消', 'rider cancelled'], picked_up: ['骑手取货', 'picked up'], delivered: ['已送达', 'delivered'],
    completed: ['订单完成', 'completed'], stock_released: ['库存释放', 'stock released'], cancelled: ['订单取消', 'cancelled'],
    unknown: ['未知', 'unknown'],
  },
  trail: {
    incident: ['异常', 'incident'], command: ['指令', 'command'], person: ['人工操作', 'person'],
    rules: ['规则', 'rules'], unmask: ['查看明文', 'unmask'],
  },
  stage: {
    reserve: ['锁库存', 'reserve'], pick_start: ['开始拣货', 'pick start'], pick: ['拣货', 'pick'],
    assign: ['分配骑手', 'assign'], pickup: ['取货', 'pickup'],
  },
};

export type NameKind = keyof typeof names;

let current: Lang = 'zh';

export function initLang(stored: string | null): Lang {
  current = stored === 'en' ? 'en' : 'zh';
  return current;
}
export function lang(): Lang {
  return current;
}
export function setLang(next: Lang): void {
  current = next;
}
export function locale(): string {
  return current === 'zh' ? 'zh-CN' : 'en-GB';
}

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const pair = messages[key];
  let text: string = pair ? pair[current === 'zh' ? 0 : 1] : key;
  for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
  return text;
}

// An escalation's cause: a known one by name, `playbook:<step>` / `step_failed:<step>` with
// the step, `rate_cap: …` as the service wrote it.
export function causeName(cause: string | undefined | null): string {
  if (!cause) return '';
  const [head, step] = cause.split(/:(.*)/s, 2);
  if (step !== undefined && head === 'playbook') return `${nameOf('cause', 'playbook')}（${step.trim()}）`;
  if (step !== undefined && head === 'step_failed') return current === 'zh' ? `处理步骤失败（${step.trim()}）` : `a step failed (${step.trim()})`;
  return nameOf('cause', cause);
}

// A value's name in the current language, or the value itself when it is not known.
export function nameOf(kind: NameKind, value: string | undefined | null): string {
  if (!value) return '';
  const pair = names[kind]?.[value];
  return pair ? pair[current === 'zh' ? 0 : 1] : value;
}

export function knownNames(kind: NameKind): string[] {
  return Object.keys(names[kind] ?? {});
}

export const INCIDENT_TYPES = Object.keys(names.type);
