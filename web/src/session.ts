// Who is signed in: the token, its role (GET /v1/me) and, for people at the desk, their
// agent id. Kept in this browser's localStorage until sign-out.
import type { Role } from './types';

export interface Session {
  token: string;
  role: Role;
  agentId: string;
}

const KEY = 'orderguard.session';
let current: Session | null = null;

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    if (typeof parsed.token === 'string' && typeof parsed.role === 'string') current = { ...parsed, agentId: parsed.agentId ?? '' };
  } catch {
    current = null;
  }
  return current;
}

export function session(): Session | null {
  return current;
}

export function saveSession(next: Session | null): void {
  current = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
}

const RANK: Record<Role, number> = { ingest: 0, viewer: 1, agent: 2, supervisor: 3, admin: 4 };

// What a role may do (the service checks it again: this only decides what is offered).
export function can(role: Role | null | undefined, what: 'view' | 'act' | 'supervise' | 'admin'): boolean {
  if (!role) return false;
  const needed = { view: 1, act: 2, supervise: 3, admin: 4 }[what];
  return RANK[role] >= needed;
}
