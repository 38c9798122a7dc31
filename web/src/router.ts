// History routing: the service answers index.html for any path outside /v1, and the page
// draws the view. Links with data-link move without reloading.
export type Cleanup = () => void;
export type View = (root: HTMLElement, params: Record<string, string>) => Cleanup | void;

interface Route {
  pattern: RegExp;
  keys: string[];
  view: View;
}

const routes: Route[] = [];
let onNavigate: (path: string) => void = () => {};

export function route(path: string, view: View): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' + path.replace(/:([a-z_]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    }) + '/?$',
  );
  routes.push({ pattern, keys, view });
}

export function match(path: string): { view: View; params: Record<string, string> } | null {
  for (const candidate of routes) {
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    candidate.keys.forEach((key, i) => (params[key] = decodeURIComponent(found[i + 1])));
    return { view: candidate.view, params };
  }
  return null;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  onNavigate(location.pathname);
}

export function startRouter(handler: (path: string) => void): void {
  onNavigate = handler;
  window.addEventListener('popstate', () => onNavigate(location.pathname));
  document.addEventListener('click', (event) => {
    const target = event.target as Element | null;
    const link = target?.closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href') ?? '/');
  });
}
