/**
 * Markdown for course text. Raw HTML is switched off in the parser AND the output is sanitised, so no author
 * (or a compromised content file) can place a script, a style or an inline event handler in a lesson page.
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });
/** Parses with HTML recognised, only to tell the author where raw HTML is (it is never rendered). */
const htmlDetector = new MarkdownIt({ html: true, linkify: false, typographer: false, breaks: false });

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'strong', 'em', 'a', 'blockquote', 'code', 'pre', 'br', 'hr',
    'table', 'thead', 'tbody', 'tr', 'th', 'td', 'del',
  ],
  allowedAttributes: { a: ['href'], ol: ['start'], th: ['scope'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
};

/** Strips anything outside the small set of tags a lesson uses. */
export function sanitizeLessonHtml(html: string): string {
  return sanitizeHtml(html, sanitizeOptions);
}

/** Markdown to safe HTML. */
export function renderMarkdown(source: string): string {
  return sanitizeLessonHtml(markdown.render(source)).trim();
}

/** A problem in a piece of Markdown, with the line counted from the start of that piece (0-based). */
export interface MarkdownProblem {
  lineOffset: number;
  message: string;
}

/**
 * Things that Markdown allows but a lesson must express another way, so the author gets a clear message
 * rather than content that silently disappears.
 */
export function findMarkdownProblems(source: string): MarkdownProblem[] {
  const problems: MarkdownProblem[] = [];
  const tokens = htmlDetector.parse(source, {});
  for (const token of tokens) {
    const line = token.map?.[0] ?? 0;
    if (token.type === 'heading_open' && (token.tag === 'h1' || token.tag === 'h2')) {
      problems.push({ lineOffset: line, message: `a ${token.tag === 'h1' ? '#' : '##'} heading cannot be used here: ## starts a lesson, and ### is the largest heading inside a lesson` });
    }
    if (token.type === 'inline') {
      for (const child of token.children ?? []) {
        if (child.type === 'image') {
          problems.push({ lineOffset: line, message: 'pictures need the :::image block, so that they get checked alt text' });
        }
        if (child.type === 'html_inline') problems.push({ lineOffset: line, message: 'raw HTML is not allowed in course text' });
      }
    }
    if (token.type === 'html_block') problems.push({ lineOffset: line, message: 'raw HTML is not allowed in course text' });
  }
  // An opening and a closing tag on one line are one problem for the author.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.lineOffset}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
