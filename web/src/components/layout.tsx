// Navigation rail (a top bar on narrow screens) around the current page.
import type { ComponentChildren } from 'preact';
import { setLang, t, useLang } from '../lib/i18n';
import { onLinkClick } from '../lib/router';
import { logout, type User } from '../lib/session';
import { pages } from '../pages/registry';
import { Icon } from './icons';

export function Layout({ user, active, children }: { user: User; active: string; children: ComponentChildren }) {
  const lang = useLang();
  return (
    <div class="shell">
      <nav class="nav" aria-label={t('nav.main')}>
        <div class="brand">
          <span class="brand-mark">◆</span> TeamVL
        </div>
        <ul class="nav-links">
          {pages
            .filter((p) => !p.allowed || p.allowed(user))
            .map((p) => (
              <li key={p.id}>
                <a href={p.path} class={p.id === active ? 'active' : ''} data-nav={p.id}
                  aria-current={p.id === active ? 'page' : undefined} onClick={(e) => onLinkClick(e, p.path)}>
                  <Icon name={p.icon} />
                  <span>{t(p.navKey)}</span>
                </a>
              </li>
            ))}
        </ul>
        <div class="nav-foot">
          <div class="who" title={user.username}>
            <div class="who-name">{user.display_name || user.username}</div>
            <div class="who-role muted">{t(`role.${user.role}`)}</div>
          </div>
          <div class="nav-actions">
            <select aria-label={t('nav.language')} value={lang} data-test="lang"
              onChange={(e) => setLang((e.target as HTMLSelectElement).value as 'en' | 'zh-CN')}>
              <option value="en">English</option>
              <option value="zh-CN">中文</option>
            </select>
            <button class="btn ghost icon-btn" title={t('nav.logout')} aria-label={t('nav.logout')} onClick={() => logout()}>
              <Icon name="logout" />
            </button>
          </div>
        </div>
      </nav>
      <main class="content">{children}</main>
    </div>
  );
}

// Page heading with an optional line of actions on the right.
export function PageHeader({ title, subtitle, children }: { title: string; subtitle?: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p class="muted">{subtitle}</p>}
      </div>
      {children && <div class="page-actions">{children}</div>}
    </header>
  );
}
