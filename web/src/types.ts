// The shapes of the public HTTP API (docs/serve.md, docs/spec/INTERFACES.md).

export type Role = 'ingest' | 'viewer' | 'agent' | 'supervisor' | 'admin';
export type Severity = 'high' | 'medium' | 'low';
export type Status = 'open' | 'handling' | 'escalated' | 'assigned' | 'resolved' | 'retracted';

export interface Incident {
  id: string;
  type: string;
  severity: Severity;
  priority: number;
  subject: { kind: string; id: string };
  order_id?: string;
  sku?: string;
  stage?: string;
  incident_type?: string;
  zone?: string;
  community?: string;
  detected_at: string;
  status: Status;
  resolution?: 'auto' | 'self' | 'manual';
  resolved_at?: string;
  retracted_at?: string;
  escalated_at?: string;
  assignee?: string;
  false_positive?: boolean;
  loss?: number;
  evidence: string[];
  actions: string[];
  linked?: string[];
}

export interface IncidentPage {
  items: Incident[];
  total: number;
  next_cursor: string | null;
}

export interface Command {
  id: string;
  command: string;
  incident_id: string;
  order_id?: string;
  at: string;
  amount?: number;
  text?: string;
  text_en?: string;
  [key: string]: unknown;
}

export interface Comment {
  agent_id: string;
  at: string;
  text: string;
}

export interface Case {
  status: 'waiting' | 'assigned' | 'resolved' | 'false_positive';
  assignee?: string;
  escalated_at: string;
  sla_deadline: string;
  sla_breached: boolean;
  acknowledged_at?: string;
  cause?: string;
  resolution_code?: string;
  resolution_note?: string;
  closed_by?: string;
  comments: Comment[];
}

export interface DeskAction {
  seq: number;
  at: string;
  kind: string;
  actor?: string;
  target?: string;
  code?: string;
  text?: string;
}

export interface SimilarCase {
  incident_id: string;
  distance: number;
  ended: string;
  resolution_code: string;
  resolution_note: string;
  closed_by: string;
  handling_ms: number;
}

export interface IncidentDetail {
  incident: Incident;
  commands: Command[];
  order_incidents?: Incident[];
  case?: Case;
  desk_actions: DeskAction[];
  similar: SimilarCase[];
}

export type TimelineEntry =
  | { at: string; kind: 'milestone'; name: string }
  | { at: string; kind: 'incident'; incident: Incident }
  | { at: string; kind: 'command'; command: Command }
  | { at: string; kind: 'person'; incident_id: string; action: DeskAction };

export interface OrderView {
  order_id: string;
  user_id?: string;
  zone?: string;
  community?: string;
  rider_id?: string;
  amount?: number;
  user_tier?: string;
  promise_at?: string;
  state: string;
  timeline: TimelineEntry[];
  // Read with ?masked=true, so masked for every role (docs/privacy.md): 138****1234, the
  // address down to its community; a supervisor sees more only by unmasking with a reason.
  customer?: { masked: true; phone?: string; address?: string };
}

// POST /v1/orders/{id}/unmask (supervisor and admin, with a reason; written to the audit chain).
export interface UnmaskedCustomer {
  order_id: string;
  customer: { masked: false; phone?: string; address?: { text?: string; building?: string; unit?: string; room?: string } };
}

export interface Agent {
  agent_id: string;
  name: string;
  skills: string[];
  capacity: number;
  supervisor: boolean;
  on_duty: boolean;
  free_capacity: number;
}

export interface QueueEntry {
  incident_id: string;
  effective_priority: number;
  incident?: Incident;
}

export interface MeasureGroup {
  incidents: number;
  retracted: number;
  resolved: number;
  open: number;
  auto_or_self: number;
  manual: number;
  reached_people: number;
  auto_handling_rate: number | null;
  manual_intervention_rate: number | null;
  mean_handling_ms: number | null;
  p90_handling_ms: number | null;
  sla_attainment: Record<Severity, number | null>;
  false_positives: number;
  precision: number | null;
  loss: number;
}

export interface Target {
  target: number;
  value: number | null;
  met: boolean | null;
}

export interface Kpis {
  overall: MeasureGroup;
  gmv: number;
  loss: { total: number; refunds: number; coupons: number; honoured_coupons: number; rate: number | null };
  targets: Record<string, Target>;
  commands: Record<string, number>;
  by_type: Record<string, MeasureGroup>;
  by_zone: Record<string, MeasureGroup>;
  by_community: Record<string, MeasureGroup>;
}

// GET /v1/audit (POST /v1/audit/verify adds verified and problems).
export interface AuditStatus {
  links?: number;
  records?: number;
  last_seq?: number;
  last_hash?: string;
  last_checkpoint?: number | string | null;
  checkpoints?: number;
  verified?: boolean | null;
  problems?: string[];
}

// GET /v1/orders/{id}/trail: the order's links of the audit chain.
export interface TrailEntry {
  seq: number;
  at: string;
  kind: string;
  subject: string;
  actor?: string;
  body: unknown;
}
