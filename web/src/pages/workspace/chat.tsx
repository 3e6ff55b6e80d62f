// One chat session: its messages, the question in flight (streamed), and the composer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { Markdown } from '../../components/markdown';
import { api } from '../../lib/api';
import { formatDuration, t } from '../../lib/i18n';
import { Composer } from './composer';
import { FileThumb } from './file_thumb';
import { followTurn, isLive, startTurn, type Phase, type Turn } from './turn';
import type { ChatMessage, ChatSession, FileInfo, Params } from './types';

interface Props {
  sessionId: number | null;
  params: Params;
  canWrite: boolean;
  onSessionCreated: (s: ChatSession) => void;
  onActivity: () => void;
}

function QueueStatus({ turn }: { turn: Turn }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(id);
  }, []);
  if (turn.phase === 'submitting') return <div class="queue-status muted">{t('chat.submitting')}</div>;
  if (turn.phase === 'queued') {
    const waited = (Date.now() - (turn.firstQueuedAt ?? Date.now())) / 1000;
    const left = turn.eta != null ? Math.max(0, turn.eta - (Date.now() - (turn.queuedAt ?? Date.now())) / 1000) : null;
    const pct = left != null ? Math.min(99, (100 * waited) / Math.max(0.001, waited + left)) : null;
    return (
      <div class="queue-status" data-test="queue-status">
        <div>
          {turn.preparing ? t('chat.preparing', { n: turn.preparing }) : t('chat.queued', { position: turn.position ?? '…' })}
          {left != null && <> · {t('chat.eta', { eta: formatDuration(left) })}</>}
        </div>
        <div class={`progress ${pct == null ? 'indeterminate' : ''}`}><div style={{ width: `${pct ?? 30}%` }} /></div>
      </div>
    );
  }
  if (turn.phase === 'running') {
    const pct = turn.maxTokens > 0 ? Math.min(100, (100 * turn.nOutput) / turn.maxTokens) : 0;
    return (
      <div class="queue-status" data-test="queue-status">
        <div>{t('chat.generating', { n: turn.nOutput, max: turn.maxTokens })}</div>
        <div class="progress"><div style={{ width: `${pct}%` }} /></div>
      </div>
    );
  }
  return null;
}

function UserBubble({ text, fileIds }: { text: string; fileIds: number[] }) {
  return (
    <div class="msg user">
      {fileIds.length > 0 && <div class="msg-files">{fileIds.map((id) => <FileThumb key={id} id={id} />)}</div>}
      {text && <div class="msg-text">{text}</div>}
    </div>
  );
}

export function Chat({ sessionId, params, canWrite, onSessionCreated, onActivity }: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [sendError, setSendError] = useState<unknown>(null);
  const [turn, setTurn] = useState<Turn | null>(null);
  const turnRef = useRef<Turn | null>(null);
  turnRef.current = turn;
  const closer = useRef<(() => void) | null>(null);
  const pane = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const [paneEl, setPaneEl] = useState<HTMLElement | null>(null);

  const shown = useRef<number | null>(sessionId);
  const justCreated = useRef<number | null>(null);
  shown.current = sessionId;

  async function load(id: number): Promise<ChatMessage[] | null> {
    try {
      const r = await api.get<{ messages: ChatMessage[] }>(`/api/v1/sessions/${id}`);
      // The member may have switched to another chat meanwhile.
      if (shown.current !== id) return null;
      setMessages(r.messages);
      setLoadError(null);
      return r.messages;
    } catch (e) {
      if (shown.current === id) setLoadError(e);
      return null;
    }
  }

  // A question whose answer is not stored yet (the page was reloaded or the
  // member looked elsewhere meanwhile): follow it again, or show how it ended.
  async function resume(id: number, msgs: ChatMessage[]) {
    const last = msgs[msgs.length - 1];
    if (!last || last.role !== 'user' || !last.task_id) return;
    try {
      const r = await api.get<{ task: { id: number; state: string; result_text?: string; error?: { message: string } } }>(`/api/v1/tasks/${last.task_id}`);
      if (shown.current !== id) return;
      const task = r.task;
      const base: Turn = { sessionId: id, userText: last.content, fileIds: last.file_ids, taskId: task.id, phase: task.state as Phase,
        text: task.result_text ?? '', nOutput: 0, maxTokens: params.max_tokens, endNote: task.error?.message };
      if (task.state === 'queued' || task.state === 'running') {
        closer.current?.();
        setTurn({ ...base, text: '', firstQueuedAt: Date.now(), queuedAt: Date.now() });
        closer.current = followTurn(`/api/v1/tasks/${task.id}/events`, setTurn as (fn: (t: Turn) => Turn) => void, () => finished(id));
      } else if (task.state !== 'done') {
        setTurn(base);
      }
    } catch {
      // The task is gone: the stored messages are all there is.
    }
  }

  function finished(id: number) {
    void load(id).then(() => setTurn((tn) => (tn && tn.phase === 'done' ? null : tn)));
    onActivity();
  }

  useEffect(() => {
    // Switching chats clears the last error; the chat send() just created keeps its own.
    if (sessionId !== justCreated.current) setSendError(null);
    justCreated.current = null;
    // A turn belongs to its session: switching away keeps it out of view.
    if (sessionId == null) {
      setMessages([]);
      return;
    }
    const id = sessionId;
    void load(id).then((msgs) => {
      if (msgs && !(turnRef.current && turnRef.current.sessionId === id && isLive(turnRef.current))) void resume(id, msgs);
    });
  }, [sessionId]);

  useEffect(() => () => closer.current?.(), []);
  useEffect(() => setPaneEl(pane.current), []);
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages, turn?.text, turn?.phase]);

  async function send(text: string, files: FileInfo[]): Promise<boolean> {
    setSendError(null);
    let sid = sessionId;
    try {
      if (sid == null) {
        const title = (text || files[0]?.name || t('chat.new')).slice(0, 60);
        const r = await api.post<{ session: ChatSession }>('/api/v1/sessions', { title });
        sid = r.session.id;
        justCreated.current = sid;
        onSessionCreated(r.session);
      }
      const history = messages
        .filter((m) => m.role !== 'system')
        .map((m) => (m.role === 'user' && m.file_ids.length ? { role: m.role, content: m.content, file_ids: m.file_ids } : { role: m.role, content: m.content }));
      const fileIds = files.map((f) => f.id);
      const user = fileIds.length ? { role: 'user', content: text, file_ids: fileIds } : { role: 'user', content: text };
      const body = { messages: [...history, user], session_id: sid, params, label: text.slice(0, 80) };
      const fresh: Turn = { sessionId: sid, userText: text, fileIds, phase: 'submitting', text: '', nOutput: 0, maxTokens: params.max_tokens };
      setTurn(fresh);
      const ended = sid;
      closer.current?.();
      closer.current = await startTurn(body, setTurn as (fn: (t: Turn) => Turn) => void, () => finished(ended));
      onActivity();
      return true;
    } catch (e) {
      setTurn(null);
      setSendError(e);
      return false;
    }
  }

  async function stop() {
    if (!turn?.taskId) return;
    try {
      await api.del(`/api/v1/tasks/${turn.taskId}`);
    } catch (e) {
      setSendError(e);
    }
  }

  const shownTurn = turn && turn.sessionId === sessionId ? turn : null;
  const visible = shownTurn?.taskId ? messages.filter((m) => m.task_id !== shownTurn.taskId) : messages;

  return (
    <section class="chat" ref={pane} data-test="chat">
      <div class="messages" ref={scroller}>
        <ErrorNote error={loadError} />
        {visible.length === 0 && !shownTurn && (
          <div class="empty-chat">
            <h2>{t('chat.empty_title')}</h2>
            <p class="muted">{t('chat.empty_body')}</p>
          </div>
        )}
        {visible.map((m) =>
          m.role === 'user' ? (
            <UserBubble key={m.id} text={m.content} fileIds={m.file_ids} />
          ) : (
            <div key={m.id} class={`msg ${m.role}`} data-test="answer">
              <Markdown text={m.content} />
            </div>
          ),
        )}
        {shownTurn && (
          <>
            <UserBubble text={shownTurn.userText} fileIds={shownTurn.fileIds} />
            <div class="msg assistant live" data-test="answer" data-phase={shownTurn.phase}>
              {shownTurn.text ? <Markdown text={shownTurn.text} /> : null}
              <QueueStatus turn={shownTurn} />
              {shownTurn.endNote || ['cancelled', 'failed', 'timed_out'].includes(shownTurn.phase) ? (
                <div class="end-note">{t(`state.${shownTurn.phase}`)}{shownTurn.endNote ? ` — ${shownTurn.endNote}` : ''}</div>
              ) : null}
            </div>
          </>
        )}
      </div>
      <Composer busy={isLive(turn)} disabled={!canWrite} error={sendError} onSend={send} onStop={stop} dropTarget={paneEl} />
    </section>
  );
}
