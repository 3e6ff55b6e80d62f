// The relay pipelines page: a slot in the navigation that the pipelines
// issue fills (replace this module; the registry entry stays).
import { PageHeader } from '../components/layout';
import { t } from '../lib/i18n';

export default function Pipelines() {
  return (
    <div class="page">
      <PageHeader title={t('nav.pipelines')} subtitle={t('pipelines.subtitle')} />
      <div class="card empty-state" data-test="pipelines-empty">
        <h2>{t('pipelines.soon_title')}</h2>
        <p class="muted">{t('pipelines.soon_body')}</p>
      </div>
    </div>
  );
}
