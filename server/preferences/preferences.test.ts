/**
 * Preferences through the app, as a browser without JavaScript would use them: the form, saving signed in and
 * signed out, the cookie that carries them before sign-in, and a form that needs correcting.
 */
import { csrfFrom, startTestApp, type TestApp } from '../../test/support/app';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t.stop();
});

/** The classes the layout puts on <html>, which the stylesheet reads. */
function htmlClasses(html: string): string[] {
  const match = /<html[^>]*class="([^"]*)"/.exec(html);
  return match?.[1]?.split(/\s+/) ?? [];
}

describe('the preferences page', () => {
  it('offers text size, colours, movement and font to someone who is not signed in', async () => {
    const response = await t.request().get('/preferences').expect(200);
    expect(response.text).toContain('<h1>Preferences</h1>');
    for (const label of ['Text size', 'Colours', 'Movement', 'Font', 'High contrast', 'Low sensory', 'Largest']) {
      expect(response.text).toContain(label);
    }
    expect(response.text).toMatch(/<input[^>]*name="theme"[^>]*value="standard"[^>]*checked/);
    expect(htmlClasses(response.text)).toEqual(expect.arrayContaining(['theme-standard', 'text-standard', 'default-font', 'allow-motion']));
  });

  it('saves the choices of someone who is not signed in in a cookie and applies them on every page', async () => {
    const agent = t.request();
    const form = await agent.get('/preferences').expect(200);
    const saved = await agent
      .post('/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), textSize: 'largest', theme: 'high-contrast', reducedMotion: 'yes', readableFont: 'yes' })
      .expect(303);
    expect(saved.headers.location).toBe('/preferences');
    const cookies = ([] as string[]).concat(saved.headers['set-cookie'] ?? []);
    expect(cookies.some((cookie) => cookie.startsWith('coproduce.preferences=') && /HttpOnly/i.test(cookie))).toBe(true);

    const after = await agent.get('/preferences').expect(200);
    expect(after.text).toContain('Your preferences are saved.');
    expect(htmlClasses(after.text)).toEqual(expect.arrayContaining(['theme-high-contrast', 'text-largest', 'readable-font', 'reduce-motion']));
    expect(after.text).toMatch(/<input[^>]*name="textSize"[^>]*value="largest"[^>]*checked/);

    const signInPage = await agent.get('/sign-in').expect(200);
    expect(htmlClasses(signInPage.text)).toEqual(expect.arrayContaining(['theme-high-contrast', 'text-largest']));
  });

  it('saves the choices of a signed-in person to their account, so they follow them to another browser', async () => {
    const user = await t.createUser({ roles: ['learner'] });
    const first = t.request();
    await t.signIn(first, user.email, user.password);
    const form = await first.get('/preferences').expect(200);
    expect(form.text).toContain('We save them to your account');
    await first
      .post('/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), textSize: 'larger', theme: 'low-sensory', captionsOff: 'yes' })
      .expect(303);

    const second = t.request();
    await t.signIn(second, user.email, user.password);
    const elsewhere = await second.get('/preferences').expect(200);
    expect(elsewhere.text).toMatch(/<input[^>]*name="captionsOff"[^>]*value="yes"[^>]*checked/);
    expect(htmlClasses(elsewhere.text)).toEqual(
      expect.arrayContaining(['theme-low-sensory', 'text-larger', 'default-font', 'allow-motion']),
    );
  });

  it('uses the account choices rather than the cookie once someone signs in', async () => {
    const user = await t.createUser({ roles: ['learner'] });
    const agent = t.request();
    const form = await agent.get('/preferences').expect(200);
    await agent
      .post('/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), textSize: 'large', theme: 'high-contrast' })
      .expect(303);
    await t.signIn(agent, user.email, user.password);
    const page = await agent.get('/preferences').expect(200);
    expect(htmlClasses(page.text)).toEqual(expect.arrayContaining(['theme-standard', 'text-standard']));
  });

  it('keeps the choices and names the field when a value is not one we offer', async () => {
    const agent = t.request();
    const form = await agent.get('/preferences').expect(200);
    const response = await agent
      .post('/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), textSize: 'enormous', theme: 'low-sensory', readableFont: 'yes' })
      .expect(422);
    expect(response.text).toContain('There is a problem');
    expect(response.text).toContain('<a href="#textSize">Choose a text size</a>');
    expect(response.text).toMatch(/<input[^>]*name="theme"[^>]*value="low-sensory"[^>]*checked/);
    expect(response.text).toMatch(/<input[^>]*name="readableFont"[^>]*value="yes"[^>]*checked/);
    expect(response.text).toContain('<title>Error: Preferences – Coproduce</title>');
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cookies.some((cookie) => cookie.startsWith('coproduce.preferences='))).toBe(false);
  });

  it('refuses a query operator in place of a choice', async () => {
    const agent = t.request();
    const form = await agent.get('/preferences').expect(200);
    const response = await agent
      .post('/preferences')
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrfFrom(form.text))}&textSize[$ne]=x&theme=standard`)
      .expect(422);
    expect(response.text).toContain('Choose a text size');
  });

  it('refuses a form sent without its CSRF token', async () => {
    const agent = t.request();
    await agent.get('/preferences').expect(200);
    const response = await agent.post('/preferences').type('form').send({ textSize: 'large', theme: 'standard' });
    expect(response.status).toBe(403);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cookies.some((cookie) => cookie.startsWith('coproduce.preferences='))).toBe(false);
  });
});

describe('the fonts', () => {
  it('serves the default and the readable font from their npm packages, cached for a long time', async () => {
    const atkinson = await t
      .request()
      .get('/fonts/atkinson-hyperlegible-next/atkinson-hyperlegible-next-latin-400-normal.woff2')
      .expect(200);
    expect(atkinson.headers['content-type']).toBe('font/woff2');
    expect(atkinson.headers['cache-control']).toContain('immutable');
    await t.request().get('/fonts/opendyslexic/opendyslexic-latin-700-normal.woff2').expect(200);
  });

  it('serves nothing but woff2 files', async () => {
    await t.request().get('/fonts/opendyslexic/opendyslexic-latin-400-normal.woff').expect(404);
    await t.request().get('/fonts/opendyslexic/../package.json').expect(404);
  });
});
