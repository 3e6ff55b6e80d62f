// The relay pipelines page. The registry gives it one path, so which view
// shows comes from the query: ?edit=new|ID, ?p=ID, ?run=ID[&review=ITEM].
import { t, useLang } from '../lib/i18n';
import { useLocation } from '../lib/router';
import { PipelineDetail } from './pipelines/detail';
import { PipelineEditor } from './pipelines/editor';
import { Overview } from './pipelines/overview';
import { ReviewView } from './pipelines/review';
import { RunView } from './pipelines/run_view';
import './pipelines/messages';
import './pipelines/pipelines.css';

function id(v: string | null): number | null {
  return v && /^\d+$/.test(v) ? Number(v) : null;
}

export default function Pipelines() {
  useLang();
  const { query } = useLocation();
  const edit = query.get('edit');
  const run = id(query.get('run'));
  const review = id(query.get('review'));
  const p = id(query.get('p'));
  if (edit !== null) return edit === 'new' ? <PipelineEditor key="new" id={null} /> : id(edit) !== null ? <PipelineEditor key={edit} id={id(edit)} /> : <Bad />;
  if (run !== null && review !== null) return <ReviewView key={`${run}-${review}`} runId={run} itemId={review} />;
  if (run !== null) return <RunView key={run} id={run} />;
  if (p !== null) return <PipelineDetail key={p} id={p} />;
  return <Overview />;
}

function Bad() {
  return <div class="page"><div class="card"><p>{t('pipe.bad_address')}</p></div></div>;
}
