// The OrderGuard dashboard: the shell (navigation, language, the live stream) and the views.
import './style.css';
import { ApiError, call, setUnauthorizedHandler } from './api';
import { onStreamState, startStream, stopStream, streamState } from './bus';
import { pollWatermark, resetClock } from './clock';
import { clear, field, h } from './dom';
import { timeZone } from './format';
import { initLang, lang, nameOf, setLang, t, type MessageKey } from './i18n';
import { match, navigate, route, startRouter, type Cleanup, type View } from './router';
import { can, loadSession, saveSession, session } from './session';
import type { Role } from './types';
import { auditView } from './views/audit';
import { boardHref, boardView } from './views/board';
import { incidentView } from './views/incident';
import { rulesView } from './views/rules';
import { workbenchView } from './views/workbench';
import { errorBox } from './views/common';

const app = document.getElementById('app')!;
let cleanup: Cleanup | void;
let watermarkTimer: number | undefined;

initLang(localStorage.getItem('orderguard.lang'));
document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';

route('/', boardView);
route('/incidents/:id', incidentView);
route('/workbench', workbenchView);
// A view whose code loads on first use (the charts, ECharts, only with the analytics page). If the code cannot be fetched (the service went
// away), say so with a retry instead of loading forever.
function lazy(load: () => Promise<View>): View {
  const show: View = (root, params) => {
    let inner: Cleanup | void;
    let cancelled = false;
    clear(root, h('p', { class: 'muted' }, t('incident.loading')));
    load().then(
      (view) => {
        if (!cancelled) inner = view(root, params);
      },
      () => {
        if (cancelled) return;
        clear(root, errorBox(new ApiError(0, 'unreachable', ''), () => {
          cancelled = true;
          inner = show(root, params);
        }));
      },
    );
    return () => {
      cancelled = true;
      if (inner) inner();
    };
  };
  return show;
}
route('/analytics', lazy(() => import('./views/analytics').then((module) => module.analyticsView)));
route('/rules', rulesView);
route('/audit', auditView);

interface NavItem {
  path: string;
  key: MessageKey;
  allowed: (role: Role) => boolean;
}
const NAV: NavItem[] = [
  { path: '/', key: 'nav.board', allowed: (role) => can(role, 'view') },
  { path: '/workbench', key: 'nav.workbench', allowed: (role) => can(role, 'act') },
  { path: '/analytics', key: 'nav.analytics', allowed: (role) => can(role, 'view') },
  { path: '/rules', key: 'nav.rules', allowed: (role) => can(role, 'admin') },
  { path: '/audit', key: 'nav.audit', allowed: (role) => can(role, 'supervise') },
];

function signOut() {
  saveSession(null);
  stopStream();
  resetClock();
  window.clearInterval(watermarkTimer);
  navigate('/login', true);
}
setUnauthorizedHandler(() => {
  if (session()) signOut();
});

function streamBadge(): HTMLElement {
  const badge = h('span', { class: 'stream', role: 'status', 'data-testid': 'stream-state' });
  const show = (state: string) => {
    badge.dataset.state = state;
    badge.textContent = state === 'live' ? t('nav.live') : state === 'offline' ? t('nav.offline') : t('nav.reconnecting');
  };
  show(streamState());
  onStreamState(show);
  return badge;
}

function shell(path: string): HTMLElement {
  const current = session()!;
  const nav = h('nav', { class: 'nav', 'aria-label': t('app.title') });
  for (const item of NAV) {
    if (!item.allowed(current.role)) continue;
    const active = item.path === '/' ? path === '/' || path.startsWith('/incidents/') : path.startsWith(item.path);
    nav.append(h('a', { href: item.path === '/' ? boardHref() : item.path, 'data-link': true, 'aria-current': active ? 'page' : null, 'data-nav': item.path }, t(item.key)));
  }
  const who = h(
    'span',
    { class: 'who', 'data-testid': 'who' },
    nameOf('role', current.role),
    current.agentId ? ` · ${current.agentId}` : '',
  );
  const langButton = h(
    'button',
    {
      type: 'button',
      class: 'link-button',
      'aria-label': t('nav.lang.label'),
      'data-testid': 'lang',
      onclick: () => {
        setLang(lang() === 'zh' ? 'en' : 'zh');
        localStorage.setItem('orderguard.lang', lang());
        document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
        render(location.pathname);
      },
    },
    t('nav.lang'),
  );
  const out = h('button', { type: 'button', class: 'link-button', onclick: signOut, 'data-testid': 'signout' }, t('nav.signout'));
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '/', 'data-link': true }, h('img', { src: '/favicon.svg', alt: '', width: 22, height: 22 }), 'OrderGuard'),
    nav,
    h('div', { class: 'topbar-right' }, streamBadge(), who, h('span', { class: 'tz', title: t('nav.timezone') }, timeZone()), langButton, out),
  );
}

function loginView(root: HTMLElement) {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, 'data-testid': 'login-token', spellcheck: 'false' });
  const agent = h('input', { type: 'text', name: 'agent', autocomplete: 'username', 'data-testid': 'login-agent', spellcheck: 'false' });
  agent.value = localStorage.getItem('orderguard.agent') ?? '';
  const message = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, h('img', { src: '/favicon.svg', alt: '', width: 28, height: 28 }), t('app.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    field(t('login.token'), token),
    field(t('login.agent'), agent),
    message,
    h(
      'div',
      { class: 'row' },
      submit,
      h('button', { type: 'button', class: 'link-button', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); localStorage.setItem('orderguard.lang', lang()); render('/login'); } }, t('nav.lang')),
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    submit.disabled = true;
    try {
      await signIn(token.value.trim(), agent.value.trim());
    } catch (error) {
      message.textContent =
        error instanceof ApiError && error.status === 401
          ? t('login.bad_token')
          : error instanceof ApiError && error.code === 'ingest'
            ? t('login.ingest')
            : t('login.unreachable', { message: error instanceof Error ? error.message : String(error) });
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  clear(root, h('main', { id: 'main', class: 'login-page' }, form));
  token.focus();
}

async function signIn(token: string, agentId: string) {
  const me = await call<{ role: Role; agent_id?: string }>('GET', '/v1/me', undefined, token);
  if (!can(me.role, 'view')) throw new ApiError(403, 'ingest', t('login.ingest'));
  // A token bound to an agent (later: /v1/me answers agent_id) wins over what was typed.
  const id = me.agent_id ?? (can(me.role, 'act') ? agentId : '');
  if (id) localStorage.setItem('orderguard.agent', id);
  saveSession({ token, role: me.role, agentId: id });
  startLive();
  const next = new URLSearchParams(location.search).get('next');
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
}

function startLive() {
  const current = session();
  if (!current) return;
  startStream(current.token, signOut);
  void pollWatermark();
  window.clearInterval(watermarkTimer);
  watermarkTimer = window.setInterval(() => void pollWatermark(), 10_000);
}

function render(path: string) {
  if (cleanup) cleanup();
  cleanup = undefined;
  const current = session();
  if (!current) {
    if (path !== '/login') {
      history.replaceState(null, '', path === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`);
    }
    document.title = `${t('login.title')} · OrderGuard`;
    loginView(app);
    return;
  }
  if (path === '/login') {
    history.replaceState(null, '', '/');
    path = '/';
  }
  const found = match(path);
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(app, h('a', { class: 'skip', href: '#main' }, t('app.skip')), shell(path), main);
  const item = NAV.find((candidate) => candidate.path === path);
  if (!found || (item && !item.allowed(current.role))) {
    navigate('/', true);
    return;
  }
  document.title = `${item ? t(item.key) : t('app.title')} · OrderGuard`;
  cleanup = found.view(main, found.params);
}

// A token in the address (#token=…, as `orderguard demo` prints) signs in at once and is
// removed from the address bar and the history.
async function boot() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const given = hash.get('token');
  loadSession();
  startRouter((path) => render(path));
  if (given) {
    history.replaceState(null, '', location.pathname + location.search);
    try {
      await signIn(given, hash.get('agent') ?? '');
    } catch {
      saveSession(null);
    }
  }
  if (session() && !given) startLive();
  render(location.pathname);
}

void boot();
