/**
 * The workflow sandbox must stay deterministic: files in workflows/ import only the workflow SDK, type-only
 * modules and pure constants. This reads their import lines and fails on anything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WORKFLOWS_DIR = path.resolve(__dirname, '..', '..', 'workflows');
const ALLOWED_VALUE_IMPORTS = new Set(['@temporalio/workflow', '../src/temporal/contract']);

function importsOf(source: string): Array<{ typeOnly: boolean; from: string }> {
  const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((match) => ({ typeOnly: Boolean(match[1]), from: match[2] as string }));
}

describe('workflows/ sandbox imports', () => {
  const files = readdirSync(WORKFLOWS_DIR).filter((file) => file.endsWith('.ts'));

  it('finds the workflow sources', () => {
    expect(files).toEqual(expect.arrayContaining(['index.ts', 'deliver-webhook.workflow.ts', 'deliver-webhook.types.ts']));
  });

  it.each(files)('%s imports values only from the workflow SDK, pure constants and sibling files', (file) => {
    const offending = importsOf(readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8')).filter(
      ({ typeOnly, from }) => !typeOnly && !ALLOWED_VALUE_IMPORTS.has(from) && !from.startsWith('./'),
    );
    expect(offending).toEqual([]);
  });

  it('the pure module the workflow may import loads nothing but types and the Temporal common package', () => {
    for (const module of ['contract.ts']) {
      const source = readFileSync(path.resolve(__dirname, '..', '..', 'src', 'temporal', module), 'utf8');
      const values = importsOf(source).filter(({ typeOnly }) => !typeOnly).map(({ from }) => from);
      expect(values.every((from) => from === '@temporalio/common')).toBe(true);
    }
  });

  it('detects a forbidden import (self-check of the scanner)', () => {
    const found = importsOf(`import { got } from '../src/http/got';\nimport type { X } from 'typeorm';\n`);
    expect(found).toEqual([
      { typeOnly: false, from: '../src/http/got' },
      { typeOnly: true, from: 'typeorm' },
    ]);
  });
});
