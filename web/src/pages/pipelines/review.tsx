// The review of one item: the source (its page images) beside the result of
// the step before the review; approve as is, edit then approve, or send back
// with a comment (the step before runs again with it).
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { PageHeader } from '../../components/layout';
import { t } from '../../lib/i18n';
import { navigate, onLinkClick } from '../../lib/router';
import { links, pipelinesApi, type Pipeline, type RunItem } from './api';
import { StateBadge, StepOutput } from './parts';
import { sourceImages, type SourceImage } from './source_images';

export function ReviewView({ runId, itemId }: { runId: number; itemId: number }) {
  const [item, setItem] = useState<RunItem | null>(null);
  const [pipeline, setPipeline] = useState<Pipeline | null>(null);
  const [images, setImages] = useState<SourceImage[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [comment, setComment] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    (async () => {
      try {
        const run = await pipelinesApi.run(runId);
        const it = run.items?.find((x) => x.id === itemId);
        if (!it) throw new Error(t('pipe.no_item', { id: itemId, run: runId }));
        setItem(it);
        setText(it.steps[it.step_index]?.input ?? '');
        setPipeline(await pipelinesApi.getVersion(run.pipeline_id, run.version).catch(() => null));
        setImages(await sourceImages(it));
      } catch (e) {
        setError(e);
      }
    })();
  }, [runId, itemId]);

  if (error) return <div class="page"><ErrorNote error={error} /></div>;
  if (!item) return <div class="loading">{t('common.loading')}</div>;

  const step = item.steps[item.step_index];
  const input = step?.input ?? '';
  const prevFormat = pipeline?.definition.steps[item.step_index - 1]?.output_format;
  const waiting = item.state === 'awaiting_review';
  const back = links.run(runId);

  async function act(body: { action: 'approve'; text?: string } | { action: 'send_back'; comment: string }) {
    setBusy(true);
    setActionError(null);
    try {
      await pipelinesApi.review(runId, itemId, body);
      navigate(back);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page" data-test="review-view" data-item={item.name}>
      <PageHeader title={t('pipe.review_title', { item: item.name })}
        subtitle={t('pipe.review_subtitle', { pipeline: pipeline?.name ?? '…', run: runId, step: step?.name ?? '' })}>
        <StateBadge state={item.state} testId="item-state" />
        <a class="btn ghost" href={back} onClick={(e) => onLinkClick(e, back)}>{t('pipe.back_to_run')}</a>
      </PageHeader>
      {!waiting && <div class="warn-note">{t('pipe.not_waiting')}</div>}
      <div class="pipe-review">
        <section class="card" data-test="review-source">
          <h2>{t('pipe.source')} <span class="muted small">{item.source.file_name}</span></h2>
          {images === null && <div class="muted">{t('common.loading')}</div>}
          {images?.length === 0 && <p class="muted">{t('pipe.no_source')}</p>}
          <div class="pipe-pages">
            {images?.map((im) => (
              <figure key={im.id}>
                <a href={`/api/v1/files/${im.id}/content`} target="_blank" rel="noopener">
                  <img src={`/api/v1/files/${im.id}/content`} alt={im.label} data-test="source-image" />
                </a>
                <figcaption class="muted small">{im.label}</figcaption>
              </figure>
            ))}
          </div>
        </section>
        <section class="card" data-test="review-result">
          <div class="row">
            <h2 class="grow" style={{ margin: 0 }}>{t('pipe.result')}</h2>
            {waiting && (
              <button class="btn ghost small" data-test="review-edit" onClick={() => setEditing(!editing)}>
                {editing ? t('pipe.preview') : t('pipe.edit_text')}
              </button>
            )}
          </div>
          {editing ? (
            <textarea class="pipe-review-text" rows={16} value={text} data-test="review-text" aria-label={t('pipe.result')}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          ) : (
            <div class="pipe-output" data-test="review-output"><StepOutput text={text} format={prevFormat} /></div>
          )}
          {text !== input && <p class="muted small" data-test="review-edited">{t('pipe.edited_note')}</p>}
          {waiting && (
            <div class="stack" style={{ marginTop: '12px' }}>
              <div class="row wrap">
                <button class="btn primary" disabled={busy} data-test="review-approve"
                  onClick={() => act(text !== input ? { action: 'approve', text } : { action: 'approve' })}>
                  {text !== input ? t('pipe.approve_edited') : t('pipe.approve')}
                </button>
                {text !== input && <button class="btn ghost" onClick={() => setText(input)}>{t('pipe.undo_edits')}</button>}
              </div>
              <label class="form">
                <span>{t('pipe.send_back_label')}</span>
                <textarea rows={3} value={comment} data-test="review-comment" placeholder={t('pipe.comment_placeholder')}
                  onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
              </label>
              <div>
                <button class="btn" disabled={busy || !comment.trim()} data-test="review-send-back"
                  onClick={() => act({ action: 'send_back', comment: comment.trim() })}>{t('pipe.send_back')}</button>
              </div>
            </div>
          )}
          <ErrorNote error={actionError} testId="review-error" />
          {(step?.reviews ?? []).length > 0 && (
            <div class="muted small" style={{ marginTop: '10px' }}>
              {step!.reviews!.map((r, k) => (
                <div key={k}>{r.action === 'approve' ? t('pipe.approved', { who: r.by }) : t('pipe.sent_back', { who: r.by, comment: r.comment ?? '' })}</div>
              ))}
            </div>
          )}
        </section>
      </div>
    </div>
  );
}
