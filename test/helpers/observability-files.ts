/**
 * The metric names that the Grafana dashboard (deploy/grafana) and the Prometheus rules (deploy/prometheus) query,
 * read from the files themselves: every name of the engine's, Node's and the Temporal SDK's namespaces in a PromQL
 * expression.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const METRIC = /\b(?:webhooks|temporal|process|nodejs)_[a-zA-Z0-9_]+\b/g;

function namesIn(expr: string): string[] {
  return [...expr.matchAll(METRIC)].map((m) => m[0]);
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
  return [...new Set([...dashboardExpressions(), ...ruleExpressions()].flatMap(namesIn))].sort();
}
