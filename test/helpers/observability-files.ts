/**
 * The metric names that the Grafana dashboard (deploy/grafana) and the Prometheus rules (deploy/prometheus) query,
 * read from the files themselves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names in a PromQL expression: its identifiers once strings, label matchers, range selectors and grouping
 * clauses, offsets and numbers are taken out, less function calls and keywords.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/gi, ' ')
    .replace(/\b\d[\d.]*(e[+-]?\d+)?\b/gi, ' ');
  // An identifier followed by `(` is a function.
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined)
    .map((m) => m[1])
    .filter((token, i, all) => !KEYWORDS.has(token.toLowerCase()) && all.indexOf(token) === i);
}

/** Every `expr` of a panel target in the dashboards. */
export function dashboardExpressions(): string[] {
  const dir = path.join(ROOT, 'deploy', 'grafana');
  const exprs: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    for (const panel of dashboard.panels) for (const target of panel.targets ?? []) exprs.push(target.expr);
  }
  return exprs;
}

/** Every `expr` of an alerting or recording rule (test files excluded). */
export function ruleExpressions(): string[] {
  const dir = path.join(ROOT, 'deploy', 'prometheus');
  const exprs: string[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.includes('.test.'))) {
    const rules = parse(readFileSync(path.join(dir, file), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
    for (const group of rules.groups) for (const rule of group.rules) exprs.push(rule.expr);
  }
  return exprs;
}

/** The distinct metric names the dashboard and the rules use. */
export function queriedMetricNames(): string[] {
  return [...new Set([...dashboardExpressions(), ...ruleExpressions()].flatMap(metricNamesIn))].sort();
}
