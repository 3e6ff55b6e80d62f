// The shell: decides between setup, sign-in, forced password change and the
// signed-in layout, and loads the page the address names.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from './components/error_note';
import { Layout } from './components/layout';
import { t, useLang } from './lib/i18n';
import { navigate, useLocation } from './lib/router';
import { auth, boot } from './lib/session';
import { useStore } from './lib/store';
import { ChangePasswordPage } from './pages/change_password';
import { LoginPage } from './pages/login';
import { pageFor, type PageDef } from './pages/registry';
import { SetupPage } from './pages/setup';

const loaded = new Map<string, ComponentType>();

function LazyPage({ page }: { page: PageDef }) {
  const [, setTick] = useState(0);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (loaded.has(page.id)) return;
    page.load().then(
      (m) => {
        loaded.set(page.id, m.default);
        setTick((n) => n + 1);
      },
      (e) => setError(e),
    );
  }, [page]);
  const C = loaded.get(page.id);
  if (error) return <ErrorNote error={error} />;
  return C ? <C /> : <div class="loading">{t('common.loading')}</div>;
}

export function App() {
  useLang();
  const state = useStore(auth);
  const loc = useLocation();

  if (state.kind === 'loading') return <div class="center-screen muted">{t('common.loading')}</div>;
  if (state.kind === 'unreachable')
    return (
      <div class="center-screen">
        <div class="card narrow">
          <h1>TeamVL</h1>
          <ErrorNote error={state.error} />
          <button class="btn" onClick={() => boot()}>{t('common.retry')}</button>
        </div>
      </div>
    );
  if (state.kind === 'setup') return <SetupPage />;
  if (state.kind === 'signed_out') return <LoginPage />;
  const user = state.user;
  if (user.must_change_password) return <ChangePasswordPage forced />;

  const page = pageFor(loc.path);
  if (!page) {
    navigate('/', true);
    return null;
  }
  const allowed = !page.allowed || page.allowed(user);
  return (
    <Layout user={user} active={page.id}>
      {allowed ? <LazyPage page={page} key={page.id} /> : <div class="card"><p>{t('err.admin_only')}</p></div>}
    </Layout>
  );
}
