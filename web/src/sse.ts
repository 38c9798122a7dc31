// Server-sent events over fetch: EventSource cannot send the Authorization header, so the
// stream is read with fetch and parsed here. One stream for the whole page; views subscribe.

export interface SseMessage {
  event: string;
  id: string;
  data: string;
}

// Incremental parser of the text/event-stream format (comments, multi-line data, CRLF).
export class SseParser {
  private buffer = '';
  private event = '';
  private id = '';
  private data: string[] = [];

  feed(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (this.data.length) out.push({ event: this.event || 'message', id: this.id, data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'event') this.event = value;
      else if (name === 'data') this.data.push(value);
      else if (name === 'id') this.id = value;
    }
    return out;
  }
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface StreamHandlers {
  message(message: SseMessage): void;
  state(state: StreamState): void;
  // Connected (again): what was missed while away must be reloaded.
  opened(): void;
  unauthorized(): void;
}

// Keeps a stream open until stopped, reconnecting with backoff (1 s doubling to 15 s).
export function openStream(url: string, token: string, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let stopped = false;
  let delay = 1000;
  const run = async () => {
    while (!stopped) {
      handlers.state(delay === 1000 ? 'connecting' : 'reconnecting');
      try {
        const response = await fetch(url, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (response.status === 401) {
          handlers.unauthorized();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        delay = 1000;
        handlers.state('live');
        handlers.opened();
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.feed(decoder.decode(value, { stream: true }))) handlers.message(message);
        }
      } catch (error) {
        if (stopped) return;
      }
      if (stopped) return;
      handlers.state('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
    handlers.state('offline');
  };
}
