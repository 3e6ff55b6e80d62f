// The admin panel: one tab per concern.
import { useState } from 'preact/hooks';
import { PageHeader } from '../../components/layout';
import { t } from '../../lib/i18n';
import { Audit } from './audit';
import { AllKeys } from './keys';
import { Members } from './members';
import { ModelSettings, TeamSettings } from './settings';

const TABS = [
  { id: 'members', C: Members },
  { id: 'keys', C: AllKeys },
  { id: 'settings', C: () => <div class="stack"><TeamSettings /><ModelSettings /></div> },
  { id: 'audit', C: Audit },
];

export default function Admin() {
  const [tab, setTab] = useState(() => new URLSearchParams(window.location.search).get('tab') ?? 'members');
  const Current = (TABS.find((x) => x.id === tab) ?? TABS[0]).C;
  return (
    <div class="page">
      <PageHeader title={t('nav.admin')} subtitle={t('admin.subtitle')} />
      <div class="tabs" role="tablist">
        {TABS.map((x) => (
          <button key={x.id} role="tab" aria-selected={x.id === tab} class={x.id === tab ? 'active' : ''} data-tab={x.id}
            onClick={() => {
              setTab(x.id);
              window.history.replaceState(null, '', `/admin?tab=${x.id}`);
            }}>
            {t(`admin.tab_${x.id}`)}
          </button>
        ))}
      </div>
      <Current />
    </div>
  );
}
