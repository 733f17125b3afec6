/**
 * The built CLI, run as a user runs it: `node dist/node/locolens.mjs inspect FILE [--json]`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { fixture, manifest } from '../../../test/fixtures';

const CLI = join(process.cwd(), 'dist', 'node', 'locolens.mjs');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('locolens inspect', () => {
  it('prints the summary as JSON', () => {
    const expected = manifest()['multi_rowgroup.parquet'];
    const { code, stdout, stderr } = run('inspect', fixture('multi_rowgroup.parquet'), '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.file.rows).toBe(expected.rows);
    expect(summary.file.rowGroups).toBe(expected.row_groups);
    expect(summary.subjects).toEqual(expected.subjects);
    expect(summary.blocks.map((b: { cycles: number }) => b.cycles)).toEqual(expected.blocks.map(b => b.cycles));
    expect(summary.columns.length).toBe(expected.columns.length);
  });

  it('prints a readable table without --json', () => {
    const expected = manifest()['multi_rowgroup.parquet'];
    const { code, stdout } = run('inspect', fixture('multi_rowgroup.parquet'));
    expect(code).toBe(0);
    expect(stdout).toContain(`Subjects (${expected.subjects.length}): ${expected.subjects.join(', ')}`);
    expect(stdout).toContain(`${expected.rows.toLocaleString('en-US')} rows in ${expected.row_groups} row groups`);
    expect(stdout).toMatch(/conformance: conforms/);
    expect(stdout).toMatch(/^level_walking\s+level_0_8_m_s, level_1_2_m_s\s+3\s+\d+$/m);
  });

  it.each([
    ['empty.parquet', /the file is empty \(0 bytes\) \[empty-file\]/],
    ['random_bytes.parquet', /not a parquet file \(no PAR1 header\) \[not-parquet\]/],
    ['truncated.parquet', /truncated or damaged \[corrupt-parquet\]/],
    ['missing.parquet', /no such file \[file-not-found\]/]
  ])('%s: one clear line on stderr, exit 1, no stack trace', (name, message) => {
    const { code, stdout, stderr } = run('inspect', fixture(name), '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('explains its usage on a wrong command line', () => {
    const { code, stderr } = run('inspekt', 'x.parquet');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^locolens: unknown command inspekt\nusage: locolens inspect FILE/);
  });
});
