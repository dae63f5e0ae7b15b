/**
 * The dependency rules of `npm run depcheck` (.dependency-cruiser.cjs), run by the same dependency-cruiser
 * command over a small fixture that breaks each of them (fixtures/dependency-rules/server): the check must
 * fail, naming every rule. So a green `npm test` means the rules held, not that they could not fail.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = path.join(root, '.dependency-cruiser.cjs');

async function depcheck(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, 'server', '--config', config, '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the dependency check', () => {
  test('fails on a cycle between folders, and on web, db or the engine importing what sits above them', async () => {
    const { code, output } = await depcheck(path.join(__dirname, 'fixtures', 'dependency-rules'));
    expect(code).not.toBe(0);
    expect(output).toMatch(/error no-folder-cycles: server\/(a|b) →/);
    expect(output).not.toContain('no-file-cycles');
    expect(output).toContain('error web-below-features: server/web/page.ts → server/a/four.ts');
    expect(output).toContain('error db-below-features: server/db/connection.ts → server/b/two.ts');
    expect(output).toContain('error engine-is-its-own-house: server/db/embedded/engine.ts → server/db/connection.ts');
  });
});
