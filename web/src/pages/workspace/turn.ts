// One question in flight: submit the task, then follow its event stream
// (queued position/ETA, started, tokens, done).
import { api } from '../../lib/api';

const FLUSH_MS = 80;

export type Phase = 'submitting' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'timed_out';

export interface Turn {
  sessionId: number;
  userText: string;
  fileIds: number[];
  taskId?: number;
  phase: Phase;
  position?: number;
  eta?: number | null;
  queuedAt?: number; // ms, when the latest queued event came
  firstQueuedAt?: number;
  preparing?: number; // files being read by the vision encoder before the task queues
  text: string;
  nOutput: number;
  maxTokens: number;
  endNote?: string; // reason or error of a turn that did not finish normally
}

interface TaskAnswer {
  task: { id: number };
  events: string;
}

export function isLive(t: Turn | null): boolean {
  return !!t && (t.phase === 'submitting' || t.phase === 'queued' || t.phase === 'running');
}

// Posts the task and streams its events into `update`. Returns a closer.
export async function startTurn(
  body: unknown,
  update: (fn: (t: Turn) => Turn) => void,
  onEnd: () => void,
): Promise<() => void> {
  const r = await api.post<TaskAnswer>('/api/v1/tasks', body);
  update((t) => ({ ...t, taskId: r.task.id, phase: 'queued', firstQueuedAt: Date.now(), queuedAt: Date.now() }));
  return followTurn(r.events, update, onEnd);
}

// Streams a task's events into `update` (from the first event: a page that
// reconnects to a running task rebuilds its text). Returns a closer.
export function followTurn(events: string, update: (fn: (t: Turn) => Turn) => void, onEnd: () => void): () => void {
  const es = new EventSource(events);
  const parse = (e: MessageEvent) => {
    try {
      return JSON.parse(e.data);
    } catch {
      return {};
    }
  };
  es.addEventListener('preparing', (e) => {
    const d = parse(e as MessageEvent);
    update((t) => ({ ...t, phase: 'queued', preparing: d.files ?? 1 }));
  });
  es.addEventListener('queued', (e) => {
    const d = parse(e as MessageEvent);
    update((t) => ({ ...t, phase: 'queued', preparing: undefined, position: d.position, eta: d.eta_seconds, queuedAt: Date.now() }));
  });
  es.addEventListener('started', () => update((t) => ({ ...t, phase: 'running', preparing: undefined })));
  es.addEventListener('preempted', () => update((t) => ({ ...t, phase: 'queued' })));
  // Tokens come hundreds a second: collect them and re-render at most every
  // FLUSH_MS, so the Markdown of a long answer is not re-parsed per token.
  let pending = '';
  let pendingN = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    if (!pending && !pendingN) return;
    const text = pending;
    const n = pendingN;
    pending = '';
    update((t) => ({ ...t, phase: 'running', text: t.text + text, nOutput: Math.max(t.nOutput, n) }));
  };
  es.addEventListener('token', (e) => {
    const d = parse(e as MessageEvent);
    pending += d.text ?? '';
    pendingN = d.n_output ?? pendingN + 1;
    if (!timer) timer = setTimeout(flush, FLUSH_MS);
  });
  es.addEventListener('done', (e) => {
    const d = parse(e as MessageEvent);
    if (timer) clearTimeout(timer);
    flush();
    es.close();
    const state = (d.state ?? 'done') as Phase;
    const note = d.error?.message ?? (state !== 'done' ? d.reason : undefined);
    update((t) => ({ ...t, phase: state, text: typeof d.text === 'string' ? d.text : t.text, endNote: note }));
    onEnd();
  });
  es.onerror = () => {
    // EventSource reconnects by itself with Last-Event-ID; once closed, stop.
    if (es.readyState === EventSource.CLOSED) onEnd();
  };
  return () => {
    if (timer) clearTimeout(timer);
    es.close();
  };
}
