// History-API routing: the server answers every non-API path with index.html,
// so /team or /chat/12 can be reloaded and bookmarked.
import { createStore, useStore } from './store';

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export const location = createStore<Location>(current());

window.addEventListener('popstate', () => location.set(current()));

export function navigate(to: string, replace = false): void {
  if (to === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  location.set(current());
}

export function useLocation(): Location {
  return useStore(location);
}

// Intercepts plain left clicks on in-app links so they do not reload the page.
export function onLinkClick(e: MouseEvent, to: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
