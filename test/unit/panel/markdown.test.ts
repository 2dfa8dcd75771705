import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { createMarkdownRenderer } from '../../../webview/markdown';

const dom = new JSDOM('<!doctype html><body></body>');
const { window } = dom;
const renderer = createMarkdownRenderer(window as unknown as Parameters<typeof createMarkdownRenderer>[0]);

/** Renders into a live element, as the panel does, and returns it for DOM checks. */
function renderInto(text: string): HTMLElement {
  const container = window.document.createElement('div');
  container.appendChild(renderer.render(text));
  window.document.body.appendChild(container);
  return container;
}

const HOSTILE = [
  '<img src=x onerror="alert(1)">',
  '<script>alert(2)</script>',
  '[click me](javascript:alert(3))',
  '[click me too](JaVaScRiPt:alert(4))',
  '<a href="javascript:alert(5)">raw link</a>',
  '<svg><script>alert(6)</script><circle onload="alert(7)"/></svg>',
  '<iframe src="https://evil.example"></iframe>',
  '![pic](https://evil.example/pixel.png)',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)',
  '<style>body{display:none}</style>',
  '<form action="https://evil.example"><input name=x></form>',
  '[vscode](command:workbench.action.quit)',
].join('\n\n');

describe('markdown of model output', () => {
  test('renders ordinary markdown: headings, lists, code, tables, emphasis', () => {
    const el = renderInto('# Title\n\n- one\n- **two**\n\n```js\nlet x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    assert.equal(el.querySelector('h1')?.textContent, 'Title');
    assert.equal(el.querySelectorAll('li').length, 2);
    assert.equal(el.querySelector('strong')?.textContent, 'two');
    assert.equal(el.querySelector('pre code')?.textContent, 'let x = 1;\n');
    assert.equal(el.querySelectorAll('td').length, 2);
  });

  test('hostile output is inert in the DOM: no script, no event handler, no javascript: or other scheme, nothing loaded', () => {
    const el = renderInto(HOSTILE);
    assert.equal(el.querySelectorAll('script').length, 0);
    assert.equal(el.querySelectorAll('svg, iframe, img, style, form, input, object, embed').length, 0);
    for (const node of el.querySelectorAll('*')) {
      for (const attr of node.getAttributeNames()) {
        assert.ok(!attr.startsWith('on'), `<${node.tagName.toLowerCase()} ${attr}> survived`);
        assert.notEqual(attr, 'src');
        assert.notEqual(attr, 'style');
      }
    }
    assert.equal(el.querySelectorAll('[href]').length, 0, 'links never keep an href the webview could follow');
    for (const link of el.querySelectorAll('[data-href]')) {
      assert.match(link.getAttribute('data-href')!, /^https?:/);
    }
    // The escaped HTML is shown as text, so a person sees what the model sent.
    assert.match(el.textContent ?? '', /<img src=x onerror="alert\(1\)">/);
    assert.match(el.textContent ?? '', /<script>alert\(2\)<\/script>/);
  });

  test('http(s) links and bare URLs become links the host opens; the rest stay inert text', () => {
    const el = renderInto('[site](https://example.com/a) and http://example.org and [bad](javascript:alert(1)) and [cmd](command:x)');
    const links = [...el.querySelectorAll('a')];
    const openable = links.filter((a) => a.hasAttribute('data-href')).map((a) => a.getAttribute('data-href'));
    assert.deepEqual(openable, ['https://example.com/a', 'http://example.org']);
    for (const a of links.filter((a) => !a.hasAttribute('data-href'))) assert.ok(a.classList.contains('inert'));
    assert.ok(links.filter((a) => a.hasAttribute('data-href')).every((a) => a.getAttribute('tabindex') === '0' && a.getAttribute('role') === 'link'));
  });

  test('an image is shown as a link to it, never loaded', () => {
    const el = renderInto('![a chart](https://example.com/chart.png)');
    assert.equal(el.querySelectorAll('img').length, 0);
    assert.equal(el.querySelector('a')?.getAttribute('data-href'), 'https://example.com/chart.png');
    assert.match(el.textContent ?? '', /image: a chart/);
  });

  test('renderToString gives the same sanitized markup', () => {
    const html = renderer.renderToString('<script>x</script> **b**');
    assert.ok(!/<script/i.test(html));
    assert.match(html, /<strong>b<\/strong>/);
  });
});
