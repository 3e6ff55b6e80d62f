// The member's private workspace: chat sessions on the left, the chat in the
// middle, parameters and presets on the right.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { Icon } from '../../components/icons';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';
import { navigate, onLinkClick, useLocation } from '../../lib/router';
import { currentUser } from '../../lib/session';
import { Chat } from './chat';
import { loadParams, saveParams } from './params';
import { ParamsPanel } from './params_panel';
import type { ChatSession, Params } from './types';

function sessionIdFrom(path: string): number | null {
  const m = /^\/chat\/(\d+)/.exec(path);
  return m ? Number(m[1]) : null;
}

export default function Workspace() {
  const user = currentUser()!;
  const canWrite = user.role !== 'viewer';
  const loc = useLocation();
  const sessionId = sessionIdFrom(loc.path);
  const [sessions, setSessions] = useState<ChatSession[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [params, setParamsState] = useState<Params>(() => loadParams(user.id));
  const [showParams, setShowParams] = useState(() => window.innerWidth > 1200);

  function setParams(p: Params) {
    setParamsState(p);
    saveParams(user.id, p);
  }

  async function reload() {
    try {
      setSessions((await api.get<{ sessions: ChatSession[] }>('/api/v1/sessions')).sessions);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void reload();
  }, []);

  async function remove(s: ChatSession) {
    if (!confirm(t('chat.delete_confirm', { title: s.title }))) return;
    try {
      await api.del(`/api/v1/sessions/${s.id}`);
      if (sessionId === s.id) navigate('/');
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  async function rename(s: ChatSession) {
    const title = prompt(t('chat.rename'), s.title);
    if (!title || title === s.title) return;
    try {
      await api.patch(`/api/v1/sessions/${s.id}`, { title });
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  const current = sessions.find((s) => s.id === sessionId);

  return (
    <div class={`workspace ${showParams ? 'with-params' : ''}`}>
      <aside class="sessions card">
        <button class="btn primary block" data-test="new-chat" disabled={!canWrite} onClick={() => navigate('/')}>
          <Icon name="plus" /> {t('chat.new')}
        </button>
        <ErrorNote error={error} />
        <ul class="session-list" data-test="session-list">
          {sessions.length === 0 && <li class="muted small pad">{t('chat.no_sessions')}</li>}
          {sessions.map((s) => (
            <li key={s.id} class={s.id === sessionId ? 'active' : ''}>
              <a href={`/chat/${s.id}`} onClick={(e) => onLinkClick(e, `/chat/${s.id}`)} onDblClick={() => rename(s)}>
                <span class="session-title">{s.title}</span>
                <span class="muted small">{formatTime(s.updated_at)}</span>
              </a>
              {canWrite && (
                <button class="btn ghost icon-btn row-action" aria-label={t('common.delete')} title={t('common.delete')} onClick={() => remove(s)}>
                  <Icon name="trash" size={14} />
                </button>
              )}
            </li>
          ))}
        </ul>
      </aside>
      <div class="chat-column">
        <div class="chat-head">
          <h1 class="chat-title">{current?.title ?? t('chat.new')}</h1>
          <div class="page-actions">
            {current && (
              <a class="btn ghost small" href={`/api/v1/sessions/${current.id}/export?format=markdown`} download>
                {t('chat.export')}
              </a>
            )}
            <button class={`btn ghost small ${showParams ? 'on' : ''}`} onClick={() => setShowParams(!showParams)} data-test="toggle-params">
              <Icon name="sliders" /> {t('params.title')}
            </button>
          </div>
        </div>
        <Chat sessionId={sessionId} params={params} canWrite={canWrite}
          onSessionCreated={(s) => {
            setSessions((xs) => [s, ...xs]);
            navigate(`/chat/${s.id}`, true);
          }}
          onActivity={() => void reload()} />
      </div>
      {showParams && <ParamsPanel params={params} onChange={setParams} canWrite={canWrite} />}
    </div>
  );
}
