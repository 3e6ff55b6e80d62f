// A run, live: per-item and per-step progress from the run's events (a
// refetch on each; polling while the stream is down), pause/resume/cancel,
// each step's output and attempts, the shared-storage files and the
// combined document, and the way to an item's review.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { PageHeader } from '../../components/layout';
import { ApiError } from '../../lib/api';
import { formatBytes, formatTime, t } from '../../lib/i18n';
import { navigate, onLinkClick } from '../../lib/router';
import { currentUser } from '../../lib/session';
import { ENDED, links, pipelinesApi, sharedUrl, type Pipeline, type Run, type RunItem, type SharedEntry } from './api';
import { RunStateBadge, StateBadge, StepOutput } from './parts';

const POLL_MS = 2000;

// Keeps `run` current: SSE events trigger a refetch; without a live stream
// the run is polled until it ends.
function useLiveRun(id: number) {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  const ended = useRef(false);

  useEffect(() => {
    let stopped = false;
    let pending: number | undefined;
    let inFlight = false;
    let again = false;
    const refresh = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        const r = await pipelinesApi.run(id);
        if (stopped) return;
        setRun(r);
        setError(null);
        ended.current = ENDED.has(r.state);
      } catch (e) {
        if (!stopped) setError(e);
      } finally {
        inFlight = false;
        if (again && !stopped) {
          again = false;
          void refresh();
        }
      }
    };
    const soon = () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(refresh, 120);
    };
    void refresh();
    const es = new EventSource(`/api/v1/runs/${id}/events`);
    es.onopen = () => setLive(true);
    es.onerror = () => {
      setLive(false);
      // An ended run's stream closes after its final event: no reconnecting.
      if (ended.current) es.close();
    };
    const onEvent = (e: MessageEvent) => {
      soon();
      try {
        const d = JSON.parse(e.data);
        if (e.type === 'run' && ENDED.has(d.state)) {
          ended.current = true;
          es.close();
          setLive(false);
        }
      } catch {
        // a malformed event still triggered the refetch
      }
    };
    es.addEventListener('run', onEvent as EventListener);
    es.addEventListener('item', onEvent as EventListener);
    const poll = window.setInterval(() => {
      if (!ended.current && es.readyState !== EventSource.OPEN) void refresh();
    }, POLL_MS);
    return () => {
      stopped = true;
      es.close();
      window.clearInterval(poll);
      window.clearTimeout(pending);
    };
  }, [id]);

  return { run, setRun, error, live };
}

export function RunView({ id }: { id: number }) {
  const me = currentUser()!;
  const { run, setRun, error, live } = useLiveRun(id);
  const [pipeline, setPipeline] = useState<Pipeline | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [controlError, setControlError] = useState<unknown>(null);
  const [files, setFiles] = useState<SharedEntry[] | null>(null);
  const [filesError, setFilesError] = useState<unknown>(null);

  const pipelineId = run?.pipeline_id;
  const version = run?.version;
  useEffect(() => {
    if (!pipelineId) return;
    pipelinesApi.getVersion(pipelineId, version!).then(setPipeline, () => setPipeline(null));
  }, [pipelineId, version]);

  // The shared files, listed again whenever an item changes state.
  const signature = run?.items?.map((x) => `${x.id}:${x.state}:${x.step_index}`).join(',') + `|${run?.state}`;
  useEffect(() => {
    if (!run?.shared_path) return;
    pipelinesApi.shared(run.shared_path).then((f) => {
      setFiles(f);
      setFilesError(null);
    }, (e) => {
      // Nothing written yet is no error.
      if (e instanceof ApiError && e.status === 404) setFiles([]);
      else setFilesError(e);
    });
  }, [signature]);

  if (!run) return <div class="page">{error ? <ErrorNote error={error} /> : <div class="loading">{t('common.loading')}</div>}</div>;

  const admin = me.role === 'admin';
  const canControl = me.role !== 'viewer' && (admin || run.started_by === me.username || pipeline?.owner_id === me.id);
  const items = run.items ?? [];
  const steps = pipeline?.definition.steps ?? items[0]?.steps ?? [];
  const total = items.length;
  const done = items.filter((x) => ENDED.has(x.state)).length;
  const combined = files?.find((f) => f.type === 'file' && f.path === `${run.shared_path}/combined.${extension(pipeline?.definition.output_format)}`)
    ?? files?.find((f) => f.type === 'file' && /\/combined\.[a-z]+$/.test(f.path));

  async function control(verb: 'pause' | 'resume' | 'cancel') {
    if (verb === 'cancel' && !window.confirm(t('pipe.cancel_confirm'))) return;
    setControlError(null);
    try {
      const r = await pipelinesApi.control(id, verb);
      setRun({ ...run!, state: r.state });
    } catch (e) {
      setControlError(e);
    }
  }

  const mayReview = (it: RunItem) => {
    const s = it.steps[it.step_index];
    return it.state === 'awaiting_review' && me.role !== 'viewer' && (admin || s?.owner === me.username);
  };

  return (
    <div class="page" data-test="run-view" data-run={run.id} data-state={run.state}>
      <PageHeader title={t('pipe.run_title', { id: run.id, name: pipeline?.name ?? '…' })}
        subtitle={t('pipe.run_subtitle', { who: run.started_by, when: formatTime(run.created_at), v: run.version })}>
        <span class={`live-dot ${live ? 'on' : ''}`} data-test="run-live">{live ? t('team.live') : ENDED.has(run.state) ? t('pipe.ended') : t('pipe.polling')}</span>
        <RunStateBadge state={run.state} />
        {pipeline && <a class="btn ghost" href={links.pipeline(pipeline.id)} onClick={(e) => onLinkClick(e, links.pipeline(pipeline.id))}>{pipeline.name}</a>}
        {canControl && run.state === 'running' && <button class="btn" onClick={() => control('pause')} data-test="run-pause">{t('pipe.pause')}</button>}
        {canControl && run.state === 'paused' && <button class="btn" onClick={() => control('resume')} data-test="run-resume">{t('pipe.resume')}</button>}
        {canControl && !ENDED.has(run.state) && <button class="btn danger" onClick={() => control('cancel')} data-test="run-cancel">{t('pipe.cancel_run')}</button>}
      </PageHeader>
      <ErrorNote error={controlError} testId="run-control-error" />
      <ErrorNote error={error} />
      {run.error && <div class="warn-note">{run.error}</div>}

      <section class="card">
        <div class="meter-head"><span>{t('pipe.items_done', { done, total })}</span><span class="muted small">{summary(run)}</span></div>
        <div class="progress">
          <div style={{ width: `${total ? Math.round((100 * done) / total) : 0}%` }} />
        </div>
        <div class="table-wrap">
          <table class="table pipe-grid" data-test="run-items">
            <thead>
              <tr>
                <th>{t('pipe.item')}</th>
                {steps.map((s, i) => <th key={i}>{i + 1}. {s.name}<div class="muted small">{s.owner}</div></th>)}
                <th>{t('pipe.state')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <Fragment key={it.id}>
                  <tr data-item={it.name} data-state={it.state} data-test="run-item">
                    <td><button class="btn ghost small" onClick={() => setOpen(open === it.id ? null : it.id)} data-test="open-item">{it.name}</button></td>
                    {it.steps.map((s, i) => (
                      <td key={i} data-step={s.name} data-state={s.state}>
                        <StateBadge state={s.state} />
                        {(s.attempts?.length ?? 0) > 1 && <span class="muted small">×{s.attempts!.length}</span>}
                        {s.waiting && <div class="small warn-text" data-test="step-waiting" title={s.waiting}>{s.waiting}</div>}
                      </td>
                    ))}
                    <td><StateBadge state={it.state} testId="item-state" /></td>
                    <td class="actions">
                      {mayReview(it) && (
                        <a class="btn primary small" data-test="open-review" href={links.review(run.id, it.id)}
                          onClick={(e) => onLinkClick(e, links.review(run.id, it.id))}>{t('pipe.review')}</a>
                      )}
                    </td>
                  </tr>
                  {open === it.id && (
                    <tr class="sub-row"><td colSpan={steps.length + 3}><ItemDetail item={it} pipeline={pipeline} /></td></tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="card" data-test="run-results">
        <h2>{t('pipe.results')}</h2>
        <ErrorNote error={filesError} />
        {combined ? (
          <p>
            <a class="btn" href={sharedUrl(combined.path)} target="_blank" rel="noopener" data-test="combined-link">{t('pipe.combined')}</a>
            <span class="muted small"> {combined.path}</span>
          </p>
        ) : <p class="muted">{t('pipe.no_combined')}</p>}
        {files && files.some((f) => f.type === 'file') && (
          <ul class="pipe-files" data-test="shared-files">
            {files.filter((f) => f.type === 'file').map((f) => (
              <li key={f.path}>
                <a href={sharedUrl(f.path)} target="_blank" rel="noopener">{f.path.slice((run.shared_path?.length ?? -1) + 1)}</a>
                <span class="muted small"> · {formatBytes(f.size_bytes)}</span>
              </li>
            ))}
          </ul>
        )}
        <p class="muted small">{t('pipe.shared_hint', { path: run.shared_path ?? '' })}</p>
      </section>
      {items.some(mayReview) && (
        <p><button class="btn primary" onClick={() => { const it = items.find(mayReview)!; navigate(links.review(run.id, it.id)); }}>{t('pipe.review_next')}</button></p>
      )}
    </div>
  );
}

function extension(format?: string): string {
  return format === 'markdown' ? 'md' : format === 'text' ? 'txt' : format ?? 'md';
}

function summary(run: Run): string {
  const by = run.progress?.by_state ?? {};
  return Object.entries(by).map(([state, n]) => `${n} ${t(`pipe.state_${state}`)}`).join(' · ');
}

// Every step of one item: state, output (Markdown), its shared file, the
// prompt as rendered, attempts with their errors, and reviews.
function ItemDetail({ item, pipeline }: { item: RunItem; pipeline: Pipeline | null }) {
  return (
    <div class="stack pipe-item-detail" data-test="item-detail">
      {item.steps.map((s, i) => {
        const format = pipeline?.definition.steps[i]?.output_format;
        return (
          <div key={i} class="pipe-step-result" data-step={s.name}>
            <div class="row">
              <strong>{i + 1}. {s.name}</strong>
              <StateBadge state={s.state} />
              <span class="muted small grow">{s.owner}</span>
              {s.shared_path && <a class="small" href={sharedUrl(s.shared_path)} target="_blank" rel="noopener">{s.shared_path.split('/').pop()}</a>}
            </div>
            {s.output ? <div class="pipe-output" data-test="step-output"><StepOutput text={s.output} format={format} /></div>
              : <p class="muted small">{s.state === 'awaiting_review' ? t('pipe.waiting_review', { who: s.owner }) : t('pipe.no_output')}</p>}
            {s.error && <div class="error-inline">{s.error}</div>}
            {s.prompt && (
              <details class="small"><summary class="muted">{t('pipe.prompt_sent')}</summary><pre class="pipe-output-pre">{s.prompt}</pre></details>
            )}
            {(s.attempts ?? []).length > 0 && (
              <ul class="pipe-attempts small">
                {s.attempts!.map((a, k) => (
                  <li key={k}>
                    {t('pipe.attempt', { n: k + 1, task: a.task_id })} <StateBadge state={a.state} />
                    {(a.engine_attempts ?? 1) > 1 && <span class="muted">{t('pipe.engine_attempts', { n: a.engine_attempts! })}</span>}
                    {a.error && <span class="error-inline"> {a.error.message || a.error.code}</span>}
                  </li>
                ))}
              </ul>
            )}
            {(s.reviews ?? []).map((r, k) => (
              <div key={k} class="muted small">
                {r.action === 'approve' ? t(r.edited ? 'pipe.approved_edited' : 'pipe.approved', { who: r.by }) : t('pipe.sent_back', { who: r.by, comment: r.comment ?? '' })}
              </div>
            ))}
          </div>
        );
      })}
    </div>
  );
}
