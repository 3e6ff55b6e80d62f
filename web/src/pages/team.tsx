// Live, read-only view of everybody's running and queued tasks.
import { useEffect, useState } from 'preact/hooks';
import { PageHeader } from '../components/layout';
import { ErrorNote } from '../components/error_note';
import { api } from '../lib/api';
import { formatTime, t } from '../lib/i18n';

interface TeamTask {
  task_id: number;
  member: string;
  member_id: number;
  state: 'running' | 'queued';
  priority: number;
  label: string | null;
  input_tokens?: number;
  created_at?: number;
  output_tokens?: number;
  max_output_tokens?: number;
  progress?: number;
  position?: number;
}

interface TeamView {
  policy: string;
  content_visible: boolean;
  running: TeamTask[];
  queued: TeamTask[];
}

function initials(name: string): string {
  return name.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('') || '?';
}

export default function Team() {
  const [view, setView] = useState<TeamView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);

  useEffect(() => {
    api.get<TeamView>('/api/v1/queue/team').then(setView, setError);
    const es = new EventSource('/api/v1/events/team');
    es.addEventListener('team', (e) => {
      try {
        setView(JSON.parse((e as MessageEvent).data));
      } catch {
        // ignore a malformed snapshot; the next one replaces it
      }
    });
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    return () => es.close();
  }, []);

  const label = (x: TeamTask) => (view?.content_visible ? x.label || t('team.no_label') : t('team.hidden'));
  const members = new Set([...(view?.running ?? []), ...(view?.queued ?? [])].map((x) => x.member_id));

  return (
    <div class="page">
      <PageHeader title={t('team.title')} subtitle={t('team.subtitle')}>
        <span class={`live-dot ${live ? 'on' : ''}`} data-test="team-live">{live ? t('team.live') : t('team.offline')}</span>
      </PageHeader>
      <ErrorNote error={error} />
      {view && (
        <>
          <div class="stats-row">
            <div class="stat card"><div class="stat-value" data-test="team-running-count">{view.running.length}</div><div class="muted">{t('team.running')}</div></div>
            <div class="stat card"><div class="stat-value">{view.queued.length}</div><div class="muted">{t('team.queued')}</div></div>
            <div class="stat card"><div class="stat-value">{members.size}</div><div class="muted">{t('team.active_members')}</div></div>
            <div class="stat card"><div class="stat-value small-value">{view.policy}</div><div class="muted">{t('team.policy')}</div></div>
          </div>
          <section class="card">
            <h2>{t('team.running')}</h2>
            {view.running.length === 0 && <p class="muted">{t('team.nothing_running')}</p>}
            <ul class="task-cards" data-test="team-running">
              {view.running.map((x) => (
                <li key={x.task_id} class="task-card" data-member={x.member}>
                  <div class="avatar">{initials(x.member)}</div>
                  <div class="task-main">
                    <div class="task-line"><strong>{x.member}</strong><span class="muted small">#{x.task_id} · {t(`priority.${x.priority}`)}</span></div>
                    <div class="muted small ellipsis">{label(x)}</div>
                    <div class="progress"><div style={{ width: `${Math.round((x.progress ?? 0) * 100)}%` }} /></div>
                    <div class="muted small">{t('team.tokens', { n: x.output_tokens ?? 0, max: x.max_output_tokens ?? 0 })}</div>
                  </div>
                </li>
              ))}
            </ul>
          </section>
          <section class="card">
            <h2>{t('team.queued')}</h2>
            {view.queued.length === 0 ? (
              <p class="muted">{t('team.queue_empty')}</p>
            ) : (
              <table class="table" data-test="team-queued">
                <thead>
                  <tr><th>{t('team.position')}</th><th>{t('team.member')}</th><th>{t('team.task')}</th><th>{t('team.priority')}</th><th>{t('team.since')}</th></tr>
                </thead>
                <tbody>
                  {view.queued.map((x) => (
                    <tr key={x.task_id} data-member={x.member}>
                      <td>{x.position}</td><td>{x.member}</td><td class="ellipsis">#{x.task_id} · {label(x)}</td>
                      <td>{t(`priority.${x.priority}`)}</td><td>{formatTime(x.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {!view.content_visible && <p class="muted small">{t('team.content_hidden_note')}</p>}
        </>
      )}
    </div>
  );
}
