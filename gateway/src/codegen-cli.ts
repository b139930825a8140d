import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/shared';
import { deploymentFiles } from '@qsmo/shared/dev/deployment';
import { subgraphGeneratedFiles } from '@qsmo/shared/subgraph/codegen';
import { generateFiles, staleFiles } from './codegen';
import { CONFIGURATION_REFERENCE, configurationReference } from './config-docs';

/**
 * `npm run codegen [-- --check]`: writes every generated file (each
 * subgraph's full SDL and resolver types, the operations' types, the
 * deployment files, the configuration reference), or with --check fails when a committed one differs from
 * a fresh generation.
 */
async function main(): Promise<void> {
  const generated = new Map([...await subgraphGeneratedFiles(), ...await generateFiles(), ...deploymentFiles(), [CONFIGURATION_REFERENCE, configurationReference()]]);
  if (process.argv.includes('--check')) {
    const stale = staleFiles(generated);
    if (stale.length > 0) {
      process.stderr.write(`generated files are stale: run npm run codegen\n${stale.map((f) => `  - ${f}`).join('\n')}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write('generated files are up to date\n');
    return;
  }
  for (const [file, content] of generated) {
    fs.mkdirSync(path.dirname(path.join(REPO_ROOT, file)), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, file), content);
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
