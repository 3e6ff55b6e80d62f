// The centred card used by setup, sign-in and the forced password change.
import type { ComponentChildren } from 'preact';
import { setLang, t, useLang } from '../lib/i18n';

export function AuthFrame({ title, subtitle, children }: { title: string; subtitle?: string; children: ComponentChildren }) {
  const lang = useLang();
  return (
    <div class="center-screen auth-bg">
      <div class="lang-corner">
        <select aria-label={t('nav.language')} value={lang} data-test="lang"
          onChange={(e) => setLang((e.target as HTMLSelectElement).value as 'en' | 'zh-CN')}>
          <option value="en">English</option>
          <option value="zh-CN">中文</option>
        </select>
      </div>
      <div class="card narrow auth-card">
        <div class="brand big"><span class="brand-mark">◆</span> TeamVL</div>
        <h1>{title}</h1>
        {subtitle && <p class="muted">{subtitle}</p>}
        {children}
      </div>
    </div>
  );
}
