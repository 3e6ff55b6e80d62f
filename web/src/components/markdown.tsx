// Model answers rendered as Markdown (tables, code). Raw HTML in the text is
// shown as text, and only http(s)/mailto/same-origin links survive, so an
// answer can never inject markup or script into the page.
import { Marked, type Tokens } from 'marked';
import { useMemo } from 'preact/hooks';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const SAFE_LINK = /^(https?:|mailto:|\/(?!\/)|#)/i;

const md = new Marked({
  gfm: true,
  breaks: true,
  walkTokens(token) {
    if (token.type === 'link' && !SAFE_LINK.test((token as Tokens.Link).href)) (token as Tokens.Link).href = '#';
    // Images only from this server (uploaded files), never from elsewhere.
    if (token.type === 'image' && !/^\/(?!\/)/.test((token as Tokens.Image).href)) (token as Tokens.Image).href = '';
  },
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(token.text);
    },
  },
});

export function renderMarkdown(text: string): string {
  return md.parse(text, { async: false }) as string;
}

export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
