/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) by where self time went: grouped by package
 * (node_modules/<package>), by the project's own top-level folders, by Node internals, and by V8's pseudo-nodes
 * ((garbage collector), (program), (idle)). Pure, so the grouping is unit-tested.
 */

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber?: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  busyMs: number;
  /** [group, ms, share of busy time] sorted by time, largest first. */
  groups: Array<[string, number, number]>;
  /** [function @ location, ms] of the costliest functions by self time. */
  functions: Array<[string, number]>;
}

export function groupOf(url: string, functionName: string, projectRoot: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / unattributed)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(projectRoot)) {
    const relative = path.slice(projectRoot.length).replace(/^\//, '').split('/');
    return `project: ${relative.length > 1 ? `${relative[0]}/${relative[1]}` : relative[0]}`;
  }
  return 'other';
}

export function summarizeCpuProfile(profile: CpuProfile, projectRoot: string, topFunctions = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busyMs += ms;
    const group = groupOf(url, functionName, projectRoot);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(projectRoot, '.')}:${(lineNumber ?? 0) + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` @ ${where}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  return {
    busyMs,
    groups: [...groups].sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, ms, busyMs > 0 ? ms / busyMs : 0]),
    functions: [...functions].sort((a, b) => b[1] - a[1]).slice(0, topFunctions),
  };
}
