// The page's one live stream, shared by the views: incidents and commands as they change.
import { observeEventTime } from './clock';
import { openStream, type SseMessage, type StreamState } from './sse';
import type { Command, Incident } from './types';

export type Change = { kind: 'incident'; incident: Incident } | { kind: 'command'; command: Command };

type Listener = (changes: Change[]) => void;
const listeners = new Set<Listener>();
const reopenListeners = new Set<() => void>();
const stateListeners = new Set<(state: StreamState) => void>();
let stop: (() => void) | null = null;
let pending: Change[] = [];
let scheduled = false;
let state: StreamState = 'offline';

// Changes are delivered in batches, at most a few times a second, so a busy stream does not
// redraw the page for each incident.
function flush() {
  scheduled = false;
  const batch = pending;
  pending = [];
  if (batch.length) for (const listener of listeners) listener(batch);
}

function onMessage(message: SseMessage) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.data);
  } catch {
    return;
  }
  if (message.event === 'incident') {
    const incident = parsed as Incident;
    observeEventTime(Date.parse(incident.detected_at));
    pending.push({ kind: 'incident', incident });
  } else if (message.event === 'command') {
    const command = parsed as Command;
    observeEventTime(Date.parse(command.at));
    pending.push({ kind: 'command', command });
  } else {
    return;
  }
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, 250);
  }
}

export function startStream(token: string, unauthorized: () => void): void {
  stopStream();
  stop = openStream('/v1/stream', token, {
    message: onMessage,
    state(next) {
      state = next;
      for (const listener of stateListeners) listener(next);
    },
    opened() {
      for (const listener of reopenListeners) listener();
    },
    unauthorized,
  });
}

export function stopStream(): void {
  if (stop) stop();
  stop = null;
  pending = [];
}

export function streamState(): StreamState {
  return state;
}

export function onChanges(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
export function onReopen(listener: () => void): () => void {
  reopenListeners.add(listener);
  return () => reopenListeners.delete(listener);
}
export function onStreamState(listener: (state: StreamState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}
