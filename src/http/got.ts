/**
 * The one place that loads got. got@14 is ESM-only; this project compiles to CommonJS, and Jest's module
 * runtime cannot load ESM without an experimental flag. Node >= 20.19 can `require()` ESM natively, so got is
 * loaded through Node's own require (createRequire), which works the same under Jest, ts-node and built JS.
 * Types come from got's declarations with `resolution-mode: import`.
 */
import { createRequire } from 'node:module';
import type { Got } from 'got' with { 'resolution-mode': 'import' };

export type {
  Got,
  OptionsInit,
  Response,
  RequestError,
} from 'got' with { 'resolution-mode': 'import' };

const nodeRequire = createRequire(__filename);
const gotModule = nodeRequire('got') as { got: Got; default: Got };

export const got: Got = gotModule.got;
