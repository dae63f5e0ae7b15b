import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../services';
import { charterGate } from './gate';

function run(method: string, mustAccept: boolean, signedIn = true) {
  const user = signedIn ? { id: 'u1', roles: ['co-facilitator'] } : undefined;
  const asked: unknown[] = [];
  const gate = charterGate({
    charter: { mustAcceptCharter: async (who: unknown) => (asked.push(who), mustAccept) },
  } as unknown as Pick<Services, 'charter'>);
  const redirects: string[] = [];
  const res = { redirect: (_status: number, to: string) => redirects.push(to) } as unknown as Response;
  let passed = false;
  const next: NextFunction = () => {
    passed = true;
  };
  return Promise.resolve(gate({ method, user, originalUrl: '/manage/courses/a?x=1' } as unknown as Request, res, next)).then(() => ({ passed, redirects, asked }));
}

describe('the charter gate', () => {
  it('sends a co-facilitator who must accept to the charter, with the way back', async () => {
    expect(await run('GET', true)).toMatchObject({ passed: false, redirects: [`/charter?next=${encodeURIComponent('/manage/courses/a?x=1')}`] });
  });

  it('lets them through once accepted', async () => {
    expect(await run('GET', false)).toMatchObject({ passed: true, redirects: [] });
  });

  it('never stops a form post or autosave already on its way, so no work is lost', async () => {
    expect(await run('POST', true)).toEqual({ passed: true, redirects: [], asked: [] });
  });

  it('leaves anonymous requests to the access guards', async () => {
    expect(await run('GET', true, false)).toEqual({ passed: true, redirects: [], asked: [] });
  });
});
