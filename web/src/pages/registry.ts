// The pages of the app. Adding a page is adding its module and one entry
// here: the navigation, the route and the role check all come from this list.
import type { ComponentType } from 'preact';
import type { User } from '../lib/session';

export interface PageDef {
  id: string;
  path: string;               // where the navigation links to
  prefixes?: string[];        // further paths it owns, e.g. /chat/12
  navKey: string;             // i18n key of the navigation label
  icon: string;
  allowed?: (u: User) => boolean;  // default: every signed-in member
  load: () => Promise<{ default: ComponentType }>;
}

const adminOnly = (u: User) => u.role === 'admin';

export const pages: PageDef[] = [
  { id: 'workspace', path: '/', prefixes: ['/chat/'], navKey: 'nav.workspace', icon: 'chat', load: () => import('./workspace/workspace') },
  { id: 'team', path: '/team', navKey: 'nav.team', icon: 'team', load: () => import('./team') },
  { id: 'pipelines', path: '/pipelines', navKey: 'nav.pipelines', icon: 'flow', load: () => import('./pipelines') },
  { id: 'admin', path: '/admin', navKey: 'nav.admin', icon: 'shield', allowed: adminOnly, load: () => import('./admin/admin') },
  { id: 'monitor', path: '/monitor', navKey: 'nav.monitor', icon: 'activity', allowed: adminOnly, load: () => import('./monitor') },
  { id: 'account', path: '/account', navKey: 'nav.account', icon: 'user', load: () => import('./account') },
];

export function pageFor(path: string): PageDef | undefined {
  return pages.find((p) => p.path === path || p.prefixes?.some((pre) => path.startsWith(pre)));
}
