// Shown instead of everything else while the member still has a temporary password.
import { AuthFrame } from '../components/auth_frame';
import { PasswordForm } from '../components/password_form';
import { t } from '../lib/i18n';
import { logout, refreshMe } from '../lib/session';

export function ChangePasswordPage({ forced }: { forced?: boolean }) {
  return (
    <AuthFrame title={t('account.change_password')} subtitle={forced ? t('account.forced') : undefined}>
      <PasswordForm onDone={() => refreshMe()} />
      <button class="btn ghost" onClick={() => logout()}>{t('nav.logout')}</button>
    </AuthFrame>
  );
}
