/**
 * Model output as markdown, made safe (docs/architecture.md, rule 9). Model output is
 * untrusted: a reply can carry `<script>`, `<img onerror>`, an SVG with script or a
 * `javascript:` link, by accident or by prompt injection. Two layers stand in the way:
 *
 * 1. markdown-it with `html: false` escapes any HTML in the text, so it is shown,
 *    not parsed; its link validation drops `javascript:`/`vbscript:`/`file:` URLs.
 * 2. DOMPurify then keeps only the tags markdown produces and no attribute that
 *    can run or load anything, in case a markdown-it rule or plugin slips.
 *
 * Links never navigate the webview: their target moves to `data-href` (http and
 * https only; any other scheme leaves the link inert text) and the panel asks the
 * host to open it. Images become links, since the panel loads nothing remote.
 */
import createDOMPurify, { type Config, type WindowLike } from 'dompurify';
import MarkdownIt from 'markdown-it';
import { isOpenableLink } from '../src/shared/protocol';

export const MARKDOWN_CLASS = 'markdown';

const ALLOWED_TAGS = [
  'a', 'p', 'br', 'hr', 'em', 'strong', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
];

export interface MarkdownRenderer {
  /** Sanitized DOM for `text`; owned by the caller. */
  render(text: string): DocumentFragment;
  /** The same, as an HTML string (for tests and the benchmark). */
  renderToString(text: string): string;
}

export function createMarkdownRenderer(window: WindowLike & { document: Document }): MarkdownRenderer {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  // Images would load remote content (and break the CSP): show them as links.
  md.renderer.rules.image = (tokens, idx) => {
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const alt = token.content || src;
    return `<a href="${md.utils.escapeHtml(src)}">${md.utils.escapeHtml(`[image: ${alt}]`)}</a>`;
  };

  const purify = createDOMPurify(window);
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href');
    node.removeAttribute('href');
    node.removeAttribute('target');
    if (href !== null && isOpenableLink(href)) {
      node.setAttribute('data-href', href);
      node.setAttribute('title', href);
      node.setAttribute('role', 'link');
      node.setAttribute('tabindex', '0');
      node.setAttribute('class', 'md-link');
    } else {
      node.setAttribute('class', 'md-link inert');
    }
  });
  const config: Config = {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'start', 'class'],
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    KEEP_CONTENT: true,
  };
  return {
    render: (text) => purify.sanitize(md.render(text), { ...config, RETURN_DOM_FRAGMENT: true }),
    renderToString: (text) => purify.sanitize(md.render(text), config),
  };
}
