/**
 * The base layout and the shared partials, rendered straight through EJS as Express would (no app needed):
 * navigation by role, the current page, preferences as classes on <html>, and the accessible wiring of form fields,
 * the error summary, pagination and progress bars.
 */
import path from 'node:path';
import ejs from 'ejs';

const VIEWS = path.join(__dirname, '..', '..', 'views');

/** Renders a small page from a template string placed in a feature folder, with Express-like options. */
function renderPage(body: string, locals: Record<string, unknown> = {}): string {
  const template = `<%- include('/layouts/start', { title: 'Test page' }) %>${body}<%- include('/layouts/end') %>`;
  return ejs.render(template, locals, { filename: path.join(VIEWS, 'feature', 'page.ejs'), root: VIEWS });
}

function navTexts(html: string): string[] {
  const nav = /<nav class="site-nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<(?:a|button)[^>]*>([^<]+)<\/(?:a|button)>/g)].map((match) => match[1] ?? '');
}

const user = (roles: string[]): Record<string, unknown> => ({
  currentUser: { id: 'u1', name: 'Sam <Tester>', email: 'sam@example.org', roles, preferences: {} },
  csrfToken: 'token-123',
});

describe('the base layout', () => {
  it('renders without a user, a token or preferences (error pages and tests)', () => {
    const html = renderPage('<h1>Hello</h1>');
    expect(html).toContain('<html lang="en" class="theme-standard text-standard allow-motion default-font">');
    expect(html).toContain('<title>Test page – Coproduce</title>');
    expect(html).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
    expect(html).toContain('<main id="main" class="main" tabindex="-1">');
    expect(navTexts(html)).toEqual(['Preferences', 'Sign in']);
    expect(html).not.toContain('/sign-out');
  });

  it.each([
    [['learner'], ['My courses', 'Course catalogue', 'My account', 'Preferences', 'Sign out']],
    [['co-facilitator'], ['Courses to manage', 'Write courses', 'Questions to answer', 'Involvement', 'Feedback', 'My account', 'Preferences', 'Sign out']],
    [['trainer'], ['Courses to manage', 'Write courses', 'Involvement', 'Feedback', 'Completion', 'Assignments', 'People', 'Teams', 'My account', 'Preferences', 'Sign out']],
    [['admin'], ['Write courses', 'Involvement', 'Completion', 'Assignments', 'People', 'Teams', 'Audit log', 'Charter', 'My account', 'Preferences', 'Sign out']],
    [['learner', 'trainer', 'admin'], ['My courses', 'Course catalogue', 'Courses to manage', 'Write courses', 'Involvement', 'Feedback', 'Completion', 'Assignments', 'People', 'Teams', 'Audit log', 'Charter', 'My account', 'Preferences', 'Sign out']],
  ])('offers a person with roles %j the navigation %j', (roles, expected) => {
    expect(navTexts(renderPage('', user(roles)))).toEqual(expected);
  });

  it('signs out through a POST form carrying the CSRF token, and escapes the name', () => {
    const html = renderPage('', user(['learner']));
    expect(html).toMatch(/<form class="site-nav__form" method="post" action="\/sign-out">\s*<input type="hidden" name="_csrf" value="token-123">/);
    expect(html).toContain('Signed in as Sam &lt;Tester&gt;');
  });

  it('marks the current page in the navigation, also on the pages below it', () => {
    const onCourse = renderPage('', { ...user(['learner']), currentPath: '/courses/person-centred-support' });
    expect(onCourse).toContain('<a class="site-nav__link" href="/courses" aria-current="page">Course catalogue</a>');
    expect(onCourse.match(/aria-current="page"/g)).toHaveLength(1);
    const elsewhere = renderPage('', { ...user(['learner']), currentPath: '/courses-old' });
    expect(elsewhere).not.toContain('aria-current');
  });

  it('puts the preferences on <html> so the stylesheet applies them without JavaScript', () => {
    const html = renderPage('', {
      preferences: { textSize: 'largest', theme: 'low-sensory', reducedMotion: true, readableFont: true },
    });
    expect(html).toContain('<html lang="en" class="theme-low-sensory text-largest reduce-motion readable-font">');
    expect(html).toContain('/fonts/opendyslexic/opendyslexic-latin-400-normal.woff2');
  });

  it('shows a flash message as a status notice', () => {
    const html = renderPage('', { flash: { type: 'success', message: 'Saved <now>' } });
    expect(html).toMatch(/<div class="notice notice--success" role="status">\s*<p class="notice__text">Saved &lt;now&gt;<\/p>/);
  });

  it('has no inline script or style, which the Content-Security-Policy would refuse', () => {
    const html = renderPage('<h1>Hello</h1>', user(['admin']));
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });
});

describe('the field partial', () => {
  const field = (options: Record<string, unknown>, locals: Record<string, unknown> = {}): string =>
    renderPage(`<%- include('/partials/field', { field: ${JSON.stringify(options)} }) %>`, locals);

  it('links the hint and the error to the input and marks it invalid, keeping the value typed', () => {
    const html = field({ name: 'email', label: 'Email address', type: 'email', value: 'sam@"x', hint: 'Your work email', error: 'Enter an email address' });
    expect(html).toContain('<label class="field__label" for="email">Email address</label>');
    expect(html).toContain('<p class="field__hint" id="email-hint">Your work email</p>');
    expect(html).toContain('id="email-error"><span class="visually-hidden">Error:</span> Enter an email address</p>');
    expect(html).toContain(
      '<input class="input" type="email" id="email" name="email" value="sam@&#34;x" aria-describedby="email-hint email-error" aria-invalid="true">',
    );
  });

  it('never sends a password back to the page', () => {
    const html = field({ name: 'password', label: 'Password', type: 'password', value: 'secret' });
    expect(html).not.toContain('secret');
  });

  it('draws radios as a fieldset whose first option carries the field id, with the chosen one checked', () => {
    const html = field({
      name: 'theme',
      label: 'Colours',
      type: 'radios',
      value: 'high-contrast',
      options: [
        { value: 'standard', text: 'Standard' },
        { value: 'high-contrast', text: 'High contrast', hint: 'Black on white' },
      ],
    });
    expect(html).toContain('<legend class="fieldset__legend">Colours</legend>');
    expect(html).toContain('<input class="choice__input" type="radio" id="theme" name="theme" value="standard">');
    expect(html).toContain(
      '<input class="choice__input" type="radio" id="theme-2" name="theme" value="high-contrast" checked aria-describedby="theme-2-hint">',
    );
  });

  it('does not pick up the page’s own locals such as id, value or error', () => {
    const html = field({ name: 'title', label: 'Title' }, { id: 'page-id', value: 'page value', error: 'page error' });
    expect(html).toContain('id="title"');
    expect(html).not.toContain('page value');
    expect(html).not.toContain('page error');
  });
});

describe('the error summary', () => {
  it('lists each problem as a link to its field, and shows nothing when all is well', () => {
    const html = renderPage(`<%- include('/partials/error-summary', { errors }) %>`, { errors: { email: 'Enter an email address', roles: 'Choose a role' } });
    expect(html).toContain('<h2 class="error-summary__title" id="error-summary-title">There is a problem</h2>');
    expect(html).toContain('<li><a href="#email">Enter an email address</a></li>');
    expect(html).toContain('<li><a href="#roles">Choose a role</a></li>');
    expect(renderPage(`<%- include('/partials/error-summary', { errors: {} }) %>`)).not.toContain('There is a problem');
  });
});

describe('pagination', () => {
  it('keeps the filters on every link and marks the current page', () => {
    const html = renderPage(`<%- include('/partials/pagination', { pagination: { page: 3, pageCount: 10, path: '/admin/audit', query: { action: 'sign-in', page: '3', empty: '' } } }) %>`);
    expect(html).toContain('Page 3 of 10');
    expect(html).toContain('href="/admin/audit?action=sign-in&amp;page=2" rel="prev">Previous page</a>');
    expect(html).toContain('href="/admin/audit?action=sign-in&amp;page=4" rel="next">Next page</a>');
    expect(html).toContain('href="/admin/audit?action=sign-in&amp;page=3" aria-current="page"><span class="visually-hidden">Page </span>3</a>');
    expect(html).toContain('href="/admin/audit?action=sign-in"><span class="visually-hidden">Page </span>1</a>');
    expect(html).not.toContain('empty=');
  });

  it('shows nothing when everything fits on one page', () => {
    expect(renderPage(`<%- include('/partials/pagination', { pagination: { page: 1, pageCount: 1, path: '/x' } }) %>`)).not.toContain('class="pagination"');
  });
});

describe('the progress bar', () => {
  it('says the progress in words and in a progress element', () => {
    const html = renderPage(`<%- include('/partials/progress-bar', { progress: { done: 3, total: 8, label: 'Lessons done', id: 'p1' } }) %>`);
    expect(html).toContain('<p class="progress__text" id="p1-label">Lessons done: <strong>3 of 8</strong> (38%)</p>');
    expect(html).toContain('<progress class="progress__bar" max="8" value="3" aria-labelledby="p1-label">38%</progress>');
  });

  it('never shows more done than there is', () => {
    const html = renderPage(`<%- include('/partials/progress-bar', { progress: { done: 12, total: 10, id: 'p2' } }) %>`);
    expect(html).toContain('Progress: <strong>10 of 10</strong> (100%)');
  });
});
