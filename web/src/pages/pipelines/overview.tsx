// The pipelines of the team and the reviews waiting for the caller.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { Icon } from '../../components/icons';
import { PageHeader } from '../../components/layout';
import { formatTime, t } from '../../lib/i18n';
import { onLinkClick } from '../../lib/router';
import { currentUser } from '../../lib/session';
import { links, pipelinesApi, type Pipeline, type RunItem } from './api';

export function Overview() {
  const me = currentUser()!;
  const [list, setList] = useState<Pipeline[] | null>(null);
  const [reviews, setReviews] = useState<RunItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reviewError, setReviewError] = useState<unknown>(null);

  useEffect(() => {
    pipelinesApi.list().then(setList, setError);
    pipelinesApi.reviews().then(setReviews, setReviewError);
  }, []);

  return (
    <div class="page">
      <PageHeader title={t('nav.pipelines')} subtitle={t('pipe.subtitle')}>
        {me.role !== 'viewer' && (
          <a class="btn primary" href={links.edit('new')} data-test="new-pipeline" onClick={(e) => onLinkClick(e, links.edit('new'))}>
            <Icon name="plus" /> {t('pipe.new')}
          </a>
        )}
      </PageHeader>
      <ErrorNote error={reviewError} />
      {reviews.length > 0 && (
        <section class="card" data-test="my-reviews">
          <h2>{t('pipe.my_reviews', { n: reviews.length })}</h2>
          <table class="table compact">
            <tbody>
              {reviews.map((r) => (
                <tr key={r.id} data-item={r.name}>
                  <td><strong>{r.name}</strong></td>
                  <td class="muted">{t('pipe.review_in', { pipeline: r.pipeline ?? '', run: r.run_id ?? 0, step: r.step ?? '' })}</td>
                  <td class="muted small">{formatTime(r.updated_at)}</td>
                  <td class="actions">
                    <a class="btn primary small" data-test="open-review" href={links.review(r.run_id!, r.id)}
                      onClick={(e) => onLinkClick(e, links.review(r.run_id!, r.id))}>{t('pipe.review')}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <ErrorNote error={error} />
      {list && list.length === 0 && (
        <div class="card empty-state" data-test="pipelines-empty">
          <h2>{t('pipe.empty_title')}</h2>
          <p class="muted">{t('pipe.empty_body')}</p>
        </div>
      )}
      {list && list.length > 0 && (
        <section class="card">
          <div class="table-wrap">
            <table class="table" data-test="pipelines">
              <thead><tr><th>{t('pipe.name')}</th><th>{t('pipe.steps')}</th><th>{t('pipe.owner')}</th><th>{t('pipe.version')}</th><th>{t('pipe.updated')}</th></tr></thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.id} data-pipeline={p.name}>
                    <td>
                      <a href={links.pipeline(p.id)} onClick={(e) => onLinkClick(e, links.pipeline(p.id))}><strong>{p.name}</strong></a>
                      {p.definition.description && <div class="muted small">{p.definition.description}</div>}
                    </td>
                    <td class="small">
                      {p.definition.steps.map((s, i) => (
                        <span key={i} class={`badge ${s.type === 'review' ? 'orange' : ''}`} title={s.owner}>{s.name} · {s.owner.replace(/@.*/, '')}</span>
                      ))}
                    </td>
                    <td>{p.owner}</td>
                    <td>v{p.version}</td>
                    <td class="muted small">{formatTime(p.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
