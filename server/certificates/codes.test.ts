import { newCertificateNumber, newVerificationCode, normaliseVerificationCode } from './service';

describe('certificate numbers and codes', () => {
  it('makes numbers with the year and eight letters or digits', () => {
    expect(newCertificateNumber(new Date('2026-11-25T00:00:00Z'))).toMatch(/^C-2026-[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it('makes verification codes of three groups of four, without I, L, O or U', () => {
    const codes = Array.from({ length: 200 }, () => newVerificationCode());
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('accepts a code as people type it: any case, spaces or no dashes', () => {
    expect(normaliseVerificationCode('abcd efgh jkmn')).toBe('ABCD-EFGH-JKMN');
    expect(normaliseVerificationCode('ABCDEFGHJKMN')).toBe('ABCD-EFGH-JKMN');
  });

  it('refuses anything that cannot be a code', () => {
    expect(normaliseVerificationCode('ABCD-EFGH-JKL')).toBeNull();
    expect(normaliseVerificationCode('ABCD-EFGH-JKLO')).toBeNull();
    expect(normaliseVerificationCode('{"$ne":null}')).toBeNull();
  });
});
