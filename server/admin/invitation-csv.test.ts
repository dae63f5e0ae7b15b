import { parseCsv, readInvitationCsv } from './invitation-csv';

describe('reading a CSV of invitations', () => {
  it('splits quoted cells with commas, doubled quotes and Windows line ends', () => {
    expect(parseCsv('email,team\r\n"a@example.org","Day service, north"\r\n"b@example.org","The ""Hub"""\r\n')).toEqual([
      ['email', 'team'],
      ['a@example.org', 'Day service, north'],
      ['b@example.org', 'The "Hub"'],
    ]);
  });

  it('reads emails, roles and teams, and reports bad rows by line number', () => {
    const result = readInvitationCsv('Email,Roles,Team\nSam@Example.org,learner;Co-facilitator,Day service\nnot-an-email,learner,\njo@example.org,wizard,\nkim@example.org,,\n');
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 2, email: 'sam@example.org', roles: ['learner', 'co-facilitator'], teamName: 'Day service' },
        { line: 5, email: 'kim@example.org', roles: ['learner'] },
      ],
      problems: [
        { line: 3, text: 'not-an-email,learner,', problem: 'The email address is not valid.' },
        { line: 4, text: 'jo@example.org,wizard,', problem: 'Roles must be from: learner, co-facilitator, trainer, admin.' },
      ],
    });
  });

  it('refuses a file without an email column', () => {
    expect(readInvitationCsv('name,team\nSam,Day service\n')).toEqual({ ok: false, problem: expect.stringContaining('"email"') });
  });
});
