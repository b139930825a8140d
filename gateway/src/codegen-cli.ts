import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { MODULE_MAP_FILE, moduleMapMarkdown } from '@qsmo/dev-tools/module-map';
import { subgraphGeneratedFiles } from '@qsmo/subgraph-kit/subgraph/codegen';
import { generateFiles, staleFiles } from './codegen';
import { docsReferenceFiles } from './docs-reference';
import { CONFIG_NAMES_FILE, CONFIGURATION_REFERENCE, configNamesModule, configurationReference } from '@qsmo/dev-tools/config-reference';

/**
 * `npm run codegen [-- --check]`: writes every generated file of the code
 * (each subgraph's full SDL and resolver types, the operations' types, the
 * module map, the generated pages of docs/reference, the configuration reference), or
 * with --check fails when a committed one differs from a fresh generation.
 * `-- --subgraph <name>` writes only the files under subgraphs/<name>/, the
 * ones that team owns; the deployment files are `npm run codegen:deploy`.
 */
async function main(): Promise<void> {
  const at = process.argv.indexOf('--subgraph');
  const only = at === -1 ? undefined : process.argv[at + 1];
  if (at !== -1 && !SUBGRAPHS.some((s) => s.name === only)) {
    process.stderr.write(`--subgraph needs the name of a subgraph: one of ${SUBGRAPHS.map((s) => s.name).join(', ')}.\n`);
    process.exitCode = 2;
    return;
  }
  let generated = new Map([
    ...(await subgraphGeneratedFiles()),
    ...(only
      ? []
      : [
          ...(await generateFiles()),
          [MODULE_MAP_FILE, moduleMapMarkdown()] as const,
          [CONFIGURATION_REFERENCE, configurationReference()] as const,
          [CONFIG_NAMES_FILE, configNamesModule()] as const,
          ...docsReferenceFiles(),
        ]),
  ]);
  if (only) generated = new Map([...generated].filter(([file]) => file.startsWith(`subgraphs/${only}/`)));
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
