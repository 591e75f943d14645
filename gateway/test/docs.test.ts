import { ERROR_CODES } from '@switchboard/kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';

describe('docs/api.md', () => {
  it('lists every error code a client can receive', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../docs/api.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
