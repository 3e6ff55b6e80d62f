// The audit log, newest first, a page at a time.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';

interface Entry {
  id: number;
  at: number;
  actor: string | null;
  action: string;
  target: string;
  detail: unknown;
  client_addr: string;
}

const PAGE = 50;

export function Audit() {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function load(before?: number) {
    try {
      const r = await api.get<{ entries: Entry[] }>(`/api/v1/admin/audit?limit=${PAGE}${before ? `&before=${before}` : ''}`);
      setEntries((xs) => (before ? [...xs, ...r.entries] : r.entries));
      setMore(r.entries.length === PAGE);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void load();
  }, []);

  return (
    <section class="card">
      <h2>{t('admin.audit')}</h2>
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table class="table compact" data-test="audit">
          <thead>
            <tr><th>{t('admin.when')}</th><th>{t('admin.actor')}</th><th>{t('admin.action')}</th><th>{t('admin.target')}</th><th>{t('admin.detail')}</th><th>{t('admin.from')}</th></tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td class="nowrap muted small">{formatTime(e.at)}</td>
                <td>{e.actor ?? '—'}</td>
                <td><code>{e.action}</code></td>
                <td>{e.target}</td>
                <td class="ellipsis small">{e.detail && Object.keys(e.detail as object).length ? JSON.stringify(e.detail) : ''}</td>
                <td class="muted small">{e.client_addr}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && <button class="btn ghost" onClick={() => load(entries[entries.length - 1]?.id)}>{t('common.more')}</button>}
    </section>
  );
}
