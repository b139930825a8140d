import fs from 'node:fs';
import path from 'node:path';

/**
 * The fenced examples of the project's Markdown, for the test that runs them
 * (test/docs.e2e.test.ts). An example is either run or marked, in an HTML
 * comment right before its fence, as not runnable with the reason:
 *
 *   <!-- not-runnable: needs a Kubernetes cluster -->
 *
 * A runnable example may take settings the same way:
 *
 *   <!-- docs-test: role=analyst -->           (a GraphQL example sent with an analyst's token)
 *   <!-- docs-test: variables={"code":"075"} -->
 *   <!-- docs-test: in=examples/marketplace-explorer/src -->
 *                                              (a TypeScript example type-checked as a file of that
 *                                               directory: its relative imports are that directory's files)
 *
 * A GraphQL example whose operation is a subscription is sent as the page
 * says clients send one: GraphQL over SSE.
 */
export const RUNNABLE_LANGUAGES = ['bash', 'sh', 'graphql', 'ts'] as const;
export type RunnableLanguage = (typeof RUNNABLE_LANGUAGES)[number];

export interface DocBlock {
  /** Relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: RunnableLanguage;
  code: string;
  /** Set when the block is marked not runnable: why. */
  notRunnable?: string;
  /** `docs-test:` settings. */
  settings: Record<string, string>;
}

const SETTING_KEYS = new Set(['role', 'variables', 'in']);

/** `file:line`, how a block is named in the test's output and failures. */
export const where = (block: Pick<DocBlock, 'file' | 'line'>) => `${block.file}:${block.line}`;

/** README.md and every Markdown page under docs/, sorted. */
export function docFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) found.push(rel);
    }
  };
  if (fs.existsSync(path.join(root, 'docs'))) walk('docs');
  return ['README.md', ...found.sort()];
}

/**
 * The runnable-language blocks of one Markdown text. Throws, naming
 * `file:line`, for a malformed marker: an empty reason, an unknown setting,
 * or a fence left open.
 */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language] = open as unknown as [string, string, string, string];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[i]!); i++) {
      body.push(lines[i]!.startsWith(indent) ? lines[i]!.slice(indent.length) : lines[i]!.trimStart());
    }
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: this code fence is never closed.`);
    if (!(RUNNABLE_LANGUAGES as readonly string[]).includes(language)) continue;
    // The HTML comments right before the fence (blank lines between them allowed).
    const comments: { text: string; line: number }[] = [];
    for (let j = start - 1; j >= 0; j--) {
      const l = lines[j]!.trim();
      if (l === '') continue;
      const m = /^<!--\s*([\s\S]*?)\s*-->$/.exec(l);
      if (!m) break;
      comments.unshift({ text: m[1]!, line: j + 1 });
    }
    const block: DocBlock = { file, line: start + 1, language: language as RunnableLanguage, code: body.join('\n'), settings: {} };
    for (const c of comments) {
      const notRunnable = /^not-runnable:\s*(.*)$/.exec(c.text);
      const settings = /^docs-test:\s*(.*)$/.exec(c.text);
      if (notRunnable) {
        if (!notRunnable[1]!.trim()) throw new Error(`${file}:${c.line}: say why the block is not runnable: <!-- not-runnable: <reason> -->`);
        block.notRunnable = notRunnable[1]!.trim();
      } else if (settings) {
        const m = /^(\w+)=(.*)$/.exec(settings[1]!.trim());
        if (!m || !SETTING_KEYS.has(m[1]!))
          throw new Error(`${file}:${c.line}: unknown docs-test setting "${settings[1]}"; use ${[...SETTING_KEYS].map((k) => `${k}=…`).join(' or ')}.`);
        const value = m[2]!.trim();
        if (m[1] === 'in' && (language !== 'ts' || !/^[\w.-]+(\/[\w.-]+)*$/.test(value) || value.split('/').includes('..'))) {
          throw new Error(
            `${file}:${c.line}: docs-test: in= takes a directory of the repository for a ts example, as a relative path without "..": e.g. in=examples/marketplace-explorer/src`,
          );
        }
        block.settings[m[1]!] = value;
      }
    }
    blocks.push(block);
  }
  return blocks;
}

/** Whether a GraphQL example is a subscription (its first operation's keyword), so it is sent over SSE. */
export function isSubscription(code: string): boolean {
  const withoutComments = code.replace(/#[^\n]*/g, '');
  return /^\s*subscription\b/.test(withoutComments);
}

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The complete events of a text/event-stream body (comments, the keep-alives,
 * skipped): what a subscription example answered while it was read.
 */
export function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const chunk of text.replace(/\r\n?/g, '\n').split('\n\n').slice(0, -1)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of chunk.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return events;
}
