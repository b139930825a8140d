import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/subgraphs';
import { deploymentFiles, isStale } from './deployment';
import { helmChartFiles } from './helm';

/**
 * `npm run codegen:deploy [-- --check]`: the gateway team's step that writes
 * the deployment files generated from the list of subgraphs (docker-compose,
 * the Dockerfile, Prometheus's targets, the Helm chart), or with --check fails
 * when a committed one differs. A QSMO team's `npm run codegen` never writes
 * them, so its pull request touches only its own package.
 */
export function allDeploymentFiles(): Map<string, string> {
  return new Map([...deploymentFiles(), ...helmChartFiles()]);
}

function main(): void {
  const files = allDeploymentFiles();
  if (process.argv.includes('--check')) {
    const stale = [...files].filter(([file, content]) => isStale(file, content)).map(([file]) => file);
    if (stale.length > 0) {
      process.stderr.write(`deployment files are stale: run npm run codegen:deploy\n${stale.map((f) => `  - ${f}`).join('\n')}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write('deployment files are up to date\n');
    return;
  }
  for (const [file, content] of files) {
    const full = path.join(REPO_ROOT, file);
    if (!isStale(file, content)) continue;
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
    process.stdout.write(`wrote ${file}\n`);
  }
}

if (require.main === module) main();
