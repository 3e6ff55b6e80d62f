// One pipeline: its steps, a new run from dropped files, its runs and its
// versions (each version's definition readable as YAML).
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { PageHeader } from '../../components/layout';
import { formatTime, t } from '../../lib/i18n';
import { navigate, onLinkClick } from '../../lib/router';
import { currentUser } from '../../lib/session';
import { links, pipelinesApi, type Pipeline, type PipelineVersion, type Run } from './api';
import { DropZone, type RunInput } from './drop_zone';
import { RunStateBadge, StepChain } from './parts';
import { toYaml } from './yaml';

export function PipelineDetail({ id }: { id: number }) {
  const me = currentUser()!;
  const [pipeline, setPipeline] = useState<Pipeline | null>(null);
  const [runs, setRuns] = useState<Run[]>([]);
  const [versions, setVersions] = useState<PipelineVersion[] | null>(null);
  const [shown, setShown] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [inputs, setInputs] = useState<RunInput[]>([]);
  const [startError, setStartError] = useState<unknown>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    pipelinesApi.get(id).then(setPipeline, setError);
    pipelinesApi.runs(id).then(setRuns, setError);
  }, [id]);

  if (error) return <div class="page"><ErrorNote error={error} /></div>;
  if (!pipeline) return <div class="loading">{t('common.loading')}</div>;

  const def = pipeline.definition;
  const admin = me.role === 'admin';
  const canEdit = me.role !== 'viewer' && (pipeline.owner_id === me.id || admin);
  const canRun = me.role !== 'viewer' && (canEdit || def.steps.some((s) => s.owner === me.username));
  const ready = inputs.filter((x) => x.state === 'ready').map((x) => x.file!.id);
  const uploading = inputs.some((x) => x.state === 'uploading');

  async function start() {
    setBusy(true);
    setStartError(null);
    try {
      const run = await pipelinesApi.startRun(id, ready);
      navigate(links.run(run.id));
    } catch (e) {
      setStartError(e);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!window.confirm(t('pipe.delete_confirm', { name: pipeline!.name }))) return;
    setDeleteError(null);
    try {
      await pipelinesApi.remove(id);
      navigate(links.list());
    } catch (e) {
      setDeleteError(e);
    }
  }

  async function toggleVersions() {
    if (versions) return setVersions(null);
    try {
      setVersions(await pipelinesApi.versions(id));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div class="page" data-test="pipeline-detail" data-pipeline={pipeline.name}>
      <PageHeader title={pipeline.name} subtitle={def.description || t('pipe.detail_subtitle', { owner: pipeline.owner, v: pipeline.version })}>
        <a class="btn ghost" href={links.list()} onClick={(e) => onLinkClick(e, links.list())}>{t('pipe.all_pipelines')}</a>
        {canEdit && <a class="btn" href={links.edit(id)} data-test="edit-pipeline" onClick={(e) => onLinkClick(e, links.edit(id))}>{t('pipe.edit')}</a>}
        {canEdit && <button class="btn ghost danger-text" onClick={remove} data-test="delete-pipeline">{t('common.delete')}</button>}
      </PageHeader>
      <ErrorNote error={deleteError} />
      <section class="card">
        <h2>{t('pipe.steps')}</h2>
        <StepChain steps={def.steps} />
        <dl class="facts pipe-facts">
          <dt>{t('pipe.owner')}</dt><dd>{pipeline.owner}</dd>
          <dt>{t('pipe.items')}</dt><dd>{def.items === 'page' ? t('pipe.items_page') : t('pipe.items_document')}</dd>
          <dt>{t('pipe.output_format')}</dt><dd>{def.output_format ? t(`pipe.format_${def.output_format}`) : '—'}</dd>
          <dt>{t('pipe.version')}</dt><dd>{pipeline.version} · {formatTime(pipeline.updated_at)}</dd>
        </dl>
      </section>

      {canRun && (
        <section class="card" data-test="start-run">
          <h2>{t('pipe.start_run')}</h2>
          <DropZone inputs={inputs} setInputs={setInputs} disabled={busy} />
          <ErrorNote error={startError} testId="start-error" />
          <div class="row" style={{ marginTop: '12px' }}>
            <button class="btn primary" disabled={busy || uploading || ready.length === 0} onClick={start} data-test="start-run-button">
              {t('pipe.start_run_n', { n: ready.length })}
            </button>
            {uploading && <span class="muted small">{t('chat.uploading')}</span>}
          </div>
        </section>
      )}

      <section class="card">
        <h2>{t('pipe.runs')}</h2>
        {runs.length === 0 ? <p class="muted">{t('pipe.no_runs')}</p> : (
          <div class="table-wrap">
            <table class="table" data-test="runs">
              <thead><tr><th>{t('pipe.run')}</th><th>{t('pipe.state')}</th><th>{t('pipe.progress')}</th><th>{t('pipe.started_by')}</th><th>{t('pipe.started')}</th></tr></thead>
              <tbody>
                {runs.map((r) => {
                  const total = r.progress?.items ?? 0;
                  const done = r.progress?.by_state.done ?? 0;
                  return (
                    <tr key={r.id} data-run={r.id}>
                      <td><a href={links.run(r.id)} onClick={(e) => onLinkClick(e, links.run(r.id))}>#{r.id}</a> <span class="muted small">v{r.version}</span></td>
                      <td><RunStateBadge state={r.state} /></td>
                      <td class="muted">{t('pipe.items_done', { done, total })}</td>
                      <td>{r.started_by}</td>
                      <td class="muted small">{formatTime(r.created_at)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card">
        <div class="row">
          <h2 class="grow" style={{ margin: 0 }}>{t('pipe.versions')}</h2>
          <button class="btn ghost small" onClick={toggleVersions} data-test="show-versions">{versions ? t('pipe.hide') : t('pipe.show_versions', { n: pipeline.version })}</button>
        </div>
        {versions && (
          <ul class="pipe-versions" data-test="versions">
            {[...versions].reverse().map((v) => (
              <li key={v.version} data-version={v.version}>
                <div class="row">
                  <strong>v{v.version}</strong>
                  <span class="muted small grow">{t('pipe.version_by', { who: v.created_by, when: formatTime(v.created_at) })}</span>
                  <button class="btn ghost small" onClick={() => setShown(shown === v.version ? null : v.version)}>{shown === v.version ? t('pipe.hide') : t('pipe.show')}</button>
                </div>
                {shown === v.version && <pre class="pipe-yaml-view">{toYaml(v.definition)}</pre>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
