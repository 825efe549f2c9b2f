/**
 * Compiles the project's TypeScript (src, workflows, activities, bench) to CommonJS under dist/bench, file by
 * file (the project compiles with isolatedModules, so a per-file transpile is exact), so every system under test
 * runs as plain JavaScript like `npm run start:worker` does: no ts-node hooks or source-map rewriting of stack
 * traces inside the measured processes. Type checking is `npm run typecheck`'s job, not the benchmark's.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const BUILD_DIRS = ['src', 'workflows', 'activities', 'bench'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'results' ? [] : walk(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Transpiles into `outRoot` (mirroring the project layout) and copies package.json beside it. Returns the file count. */
export function transpileProject(projectRoot: string, outRoot: string): number {
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    resolveJsonModule: true,
    isolatedModules: true,
    sourceMap: false,
  };
  let count = 0;
  for (const dir of BUILD_DIRS) {
    for (const file of walk(path.join(projectRoot, dir))) {
      const relative = path.relative(projectRoot, file);
      const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: relative });
      const target = path.join(outRoot, relative.replace(/\.ts$/, '.js'));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, output.outputText);
      count += 1;
    }
  }
  copyFileSync(path.join(projectRoot, 'package.json'), path.join(outRoot, 'package.json'));
  return count;
}
