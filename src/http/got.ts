/**
 * The one place that loads got. got@14 is ESM-only; this project compiles to CommonJS, and Jest's module
 * runtime cannot load ESM without an experimental flag. Node >= 20.19 can `require()` ESM natively, so got is
 * loaded through Node's own require, which works the same under Jest, ts-node and built JS. Jest 30 replaces
 * `createRequire` (and `process.getBuiltinModule`) with its own registry, which refuses ESM on Node 20; a real
 * Module instance's `require` still goes through Node's loader, so that is what is used here.
 * Types come from got's declarations with `resolution-mode: import`.
 */
import Module from 'node:module';
import path from 'node:path';
import type { Got } from 'got' with { 'resolution-mode': 'import' };

export type { Got, OptionsInit, Response, RequestError } from 'got' with { 'resolution-mode': 'import' };

type NodeModuleClass = typeof Module & { new (id: string): NodeJS.Module; _nodeModulePaths(from: string): string[] };

function nodeRequire(request: string): unknown {
  const ModuleClass = Module as NodeModuleClass;
  const loader = new ModuleClass(__filename);
  loader.filename = __filename;
  loader.paths = ModuleClass._nodeModulePaths(path.dirname(__filename));
  return loader.require(request);
}

const gotModule = nodeRequire('got') as { got: Got; default: Got };

export const got: Got = gotModule.got;
