// The rules: the configuration in force, edited as TOML, validated by the service (a bad
// file is refused with its line and key, shown beside that line), applied live.
import { ApiError, get, put } from '../api';
import { clear, h } from '../dom';
import { t } from '../i18n';
import { errorBox, section } from './common';

// "PUT /v1/rules:12: types.X.timeout: …" -> 12
export function errorLine(message: string): number | null {
  const found = /:(\d+):\s/.exec(message);
  return found ? Number(found[1]) : null;
}

interface Change {
  key: string;
  from: string;
  to: string;
}

export function rulesView(root: HTMLElement): () => void {
  const page = h('div', { class: 'page rules-page', 'data-testid': 'rules' }, h('h1', {}, t('rules.title')), h('p', { class: 'muted' }, t('incident.loading')));
  clear(root, page);
  let original = '';
  let alive = true;

  const editor = h('textarea', {
    class: 'code-editor',
    spellcheck: 'false',
    wrap: 'off',
    'aria-label': t('rules.editor'),
    'data-testid': 'rules-editor',
    'aria-describedby': 'rules-error',
  });
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const marker = h('div', { class: 'line-mark', 'aria-hidden': 'true', hidden: true });
  const bubble = h('div', { class: 'line-bubble', hidden: true, 'data-testid': 'rules-inline-error' });
  const status = h('div', { id: 'rules-error', role: 'alert', 'data-testid': 'rules-status' });
  const version = h('p', { class: 'muted', 'data-testid': 'rules-version' });
  let errorAt: number | null = null;

  const lineHeight = () => parseFloat(getComputedStyle(editor).lineHeight) || 20;
  const paddingTop = () => parseFloat(getComputedStyle(editor).paddingTop) || 0;

  function drawGutter() {
    const lines = editor.value.split('\n').length;
    if (gutter.childElementCount !== lines) {
      clear(gutter, Array.from({ length: lines }, (_, i) => h('div', {}, i + 1)));
    }
    for (const [i, el] of [...gutter.children].entries()) el.classList.toggle('bad', errorAt === i + 1);
    gutter.scrollTop = editor.scrollTop;
    placeMark();
  }

  function placeMark() {
    if (errorAt === null) {
      marker.hidden = true;
      bubble.hidden = true;
      return;
    }
    const top = paddingTop() + (errorAt - 1) * lineHeight() - editor.scrollTop;
    marker.hidden = false;
    bubble.hidden = false;
    marker.style.top = `${top}px`;
    marker.style.height = `${lineHeight()}px`;
    bubble.style.top = `${top + lineHeight()}px`;
  }

  function showError(message: string) {
    errorAt = errorLine(message);
    editor.setAttribute('aria-invalid', 'true');
    const reason = errorAt === null ? message : message.replace(/^[^:]*:\d+:\s*/, '');
    clear(status, h('p', { class: 'error-box' }, h('strong', {}, t('rules.invalid')), ' ', errorAt ? `${t('rules.line', { line: errorAt })}: ` : '', reason));
    bubble.textContent = reason;
    drawGutter();
    if (errorAt !== null) {
      // Put the cursor on the line, then bring it into view (a few lines from the top).
      const lines = editor.value.split('\n');
      const start = lines.slice(0, errorAt - 1).reduce((sum, line) => sum + line.length + 1, 0);
      editor.focus();
      editor.setSelectionRange(start, start + (lines[errorAt - 1]?.length ?? 0));
      editor.scrollTop = Math.max(0, (errorAt - 4) * lineHeight());
      drawGutter();
    }
  }

  function clearError() {
    errorAt = null;
    editor.removeAttribute('aria-invalid');
    drawGutter();
  }

  const apply = h('button', { type: 'button', class: 'primary', 'data-testid': 'rules-apply' }, t('rules.apply'));
  const reset = h('button', { type: 'button', 'data-testid': 'rules-reset' }, t('rules.reset'));

  apply.addEventListener('click', async () => {
    apply.disabled = true;
    clear(status);
    try {
      // The version the edit was made on: if someone changed the rules since, nothing is applied (409).
      const answer = await put<{ applied: boolean; version: string; changes: Change[] }>('/v1/rules', { toml: editor.value, version: version.dataset.version });
      clearError();
      const changes = answer.changes ?? [];
      clear(
        status,
        h('div', { class: 'ok-box', 'data-testid': 'rules-applied' },
          h('strong', {}, changes.length ? t('rules.applied', { n: changes.length }) : t('rules.no_change')),
          changes.length ? h('ul', {}, changes.map((change) => h('li', {}, h('code', {}, change.key), `: ${change.from} → ${change.to}`))) : null),
      );
      // The version this edit made, from the answer itself: a GET now could hold someone else's
      // change since, which the next Apply of this text would silently undo.
      original = editor.value;
      version.textContent = t('rules.version', { version: answer.version });
      version.dataset.version = answer.version;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_rules') showError(error.message);
      else if (error instanceof ApiError && error.code === 'rules_changed') showStale();
      else clear(status, errorBox(error));
    } finally {
      apply.disabled = false;
    }
  });
  // Someone applied other rules since this page read them: the edit stays in the editor (to be
  // copied), and the newer rules are loaded only when asked, over it.
  function showStale() {
    const reload = h('button', { type: 'button', 'data-testid': 'rules-reload' }, t('rules.reload'));
    reload.addEventListener('click', () => {
      clear(status);
      void load(true);
    });
    clear(status, h('div', { class: 'error-box', role: 'alert', 'data-testid': 'rules-stale' }, h('p', {}, t('rules.stale')), reload));
  }
  reset.addEventListener('click', () => {
    editor.value = original;
    clearError();
    clear(status);
  });
  editor.addEventListener('input', () => {
    if (errorAt !== null) {
      errorAt = null;
      editor.removeAttribute('aria-invalid');
    }
    drawGutter();
  });
  editor.addEventListener('scroll', () => {
    gutter.scrollTop = editor.scrollTop;
    placeMark();
  });
  // Tab indents inside the editor; Escape then Tab leaves it (keyboard users are not trapped).
  let escaped = false;
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      escaped = true;
      return;
    }
    if (event.key === 'Tab' && !event.shiftKey && !escaped) {
      event.preventDefault();
      const { selectionStart, selectionEnd, value } = editor;
      editor.value = value.slice(0, selectionStart) + '  ' + value.slice(selectionEnd);
      editor.setSelectionRange(selectionStart + 2, selectionStart + 2);
      drawGutter();
    }
    escaped = false;
  });

  async function load(replaceText = true) {
    try {
      const rules = await get<{ version: string; toml: string }>('/v1/rules');
      if (!alive) return;
      original = rules.toml;
      if (replaceText) editor.value = rules.toml;
      version.textContent = t('rules.version', { version: rules.version });
      version.dataset.version = rules.version;
      if (!page.contains(editor)) {
        clear(
          page,
          h('h1', {}, t('rules.title')),
          version,
          h('p', { class: 'muted' }, t('rules.help')),
          section(t('rules.editor'), h('div', { class: 'editor-wrap' }, gutter, h('div', { class: 'editor-main' }, editor, marker, bubble)),
            h('div', { class: 'row' }, apply, reset), status),
        );
      }
      drawGutter();
    } catch (error) {
      if (!alive) return;
      clear(page, h('h1', {}, t('rules.title')), errorBox(error, () => void load()));
    }
  }
  void load();
  return () => {
    alive = false;
  };
}
