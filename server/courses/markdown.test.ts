import { findMarkdownProblems, renderMarkdown, sanitizeLessonHtml } from './markdown';

describe('course Markdown', () => {
  test('renders the Markdown a lesson uses', () => {
    expect(renderMarkdown('Some **bold** and a [link](https://example.org).\n\n- one\n- two')).toBe(
      '<p>Some <strong>bold</strong> and a <a href="https://example.org">link</a>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>',
    );
  });

  test('never lets raw HTML through: it is shown as text, not run', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&lt;script&gt;');
  });

  test('drops javascript: and data: links, keeping the words', () => {
    const html = renderMarkdown('[click](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)');
    expect(html).not.toMatch(/<a /i);
    expect(html).toContain('click');
    expect(sanitizeLessonHtml('<a href="javascript:alert(1)">x</a><a href="//evil.org">y</a>')).toBe('<a>x</a><a>y</a>');
  });

  test('the sanitiser removes scripts, styles, event handlers and iframes from any HTML', () => {
    const dirty = '<p onclick="x()" style="color:red">Hi</p><script>alert(1)</script><style>p{}</style><iframe src="https://e.org"></iframe><a href="https://ok.org" onmouseover="x()">ok</a>';
    expect(sanitizeLessonHtml(dirty)).toBe('<p>Hi</p><a href="https://ok.org">ok</a>');
  });

  test('tells the author where raw HTML, pictures and large headings are, by line', () => {
    const problems = findMarkdownProblems('Fine.\n\nSome <b>bold</b>.\n\n![a picture](x.png)\n\n# Big');
    expect(problems).toEqual([
      { lineOffset: 2, message: 'raw HTML is not allowed in course text' },
      { lineOffset: 4, message: 'pictures need the :::image block, so that they get checked alt text' },
      expect.objectContaining({ lineOffset: 6, message: expect.stringMatching(/heading cannot be used here/) }),
    ]);
  });
});
