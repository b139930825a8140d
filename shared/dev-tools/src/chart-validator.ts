import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@qsmo/service-kit/subgraphs';

const execFileAsync = promisify(execFile);

/**
 * The offline chart validator (deploy/validate/, Go): Helm's own template
 * engine renders the chart and client-go's scheme decodes every manifest
 * strictly. Built once from the Go module proxy into .tools/, named by a hash
 * of its sources so a change to them (or to the pinned modules) rebuilds it.
 */
export const VALIDATOR_SOURCE = path.join(REPO_ROOT, 'deploy', 'validate');

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(VALIDATOR_SOURCE, file)));
  return hash.digest('hex').slice(0, 12);
}

export function chartValidatorPath(toolsDir = path.join(REPO_ROOT, '.tools')): string {
  return path.join(toolsDir, `chart-validate-${sourceHash()}`);
}

/** Returns the validator binary, building it first when it is missing (minutes on a cold module cache). */
export async function ensureChartValidator(toolsDir = path.join(REPO_ROOT, '.tools')): Promise<string> {
  const binary = chartValidatorPath(toolsDir);
  if (fs.existsSync(binary)) return binary;
  try {
    await execFileAsync('go', ['version']);
  } catch {
    throw new Error('Go (1.26 or newer, as deploy/validate/go.mod says) is needed on PATH to build the chart validator.');
  }
  fs.mkdirSync(toolsDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  // -mod=readonly: go.sum pins every module, so the build fails instead of resolving anything new.
  await execFileAsync('go', ['build', '-mod=readonly', '-trimpath', '-o', partial, '.'], {
    cwd: VALIDATOR_SOURCE,
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 16 * 1024 * 1024,
  });
  fs.renameSync(partial, binary);
  return binary;
}

/** One rendered manifest as the validator reports it. */
export interface ValidatedManifest {
  source: string;
  apiVersion: string;
  kind: string;
  name: string;
  error?: string;
}

export interface ValidationReport {
  valid: boolean;
  error?: string;
  manifests: ValidatedManifest[];
}

/** Renders the chart with the given values (JSON objects layered like --set-json) and decodes every manifest. */
export async function validateChart(
  binary: string,
  args: { chart?: string; manifests?: string; values?: readonly object[]; release?: string },
): Promise<ValidationReport> {
  const argv = [
    ...(args.chart ? ['-chart', args.chart] : []),
    ...(args.manifests ? ['-manifests', args.manifests] : []),
    ...(args.release ? ['-release', args.release] : []),
    ...(args.values ?? []).flatMap((v) => ['-set-json', JSON.stringify(v)]),
  ];
  try {
    const { stdout } = await execFileAsync(binary, argv, { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as ValidationReport;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout) as ValidationReport;
    throw error;
  }
}
