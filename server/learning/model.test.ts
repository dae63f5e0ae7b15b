import { blockKeyOf, fieldKey } from './model';

describe('block keys as field names', () => {
  it('leaves ordinary course keys as they are', () => {
    expect(fieldKey('getting-to-know/one-page-profile/check')).toBe('getting-to-know/one-page-profile/check');
  });

  it('escapes the characters MongoDB gives a meaning in field names, and reads them back', () => {
    for (const key of ['a.b', '$where', 'half%done', 'a.$b%2E']) {
      const field = fieldKey(key);
      expect(field).not.toMatch(/[.$]/);
      expect(blockKeyOf(field)).toBe(key);
    }
  });
});
