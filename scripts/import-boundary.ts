/**
 * The import-boundary checker (STYLE.md §9: browser code never imports Node-only modules; core
 * imports nothing outside core). It reads every import of a set of entry files (static `import`
 * and `export ... from`, `import()`, `import('x').T` in types, and `new URL('...',
 * import.meta.url)`, which Vite bundles like an import), follows the ones that name a file of the
 * project (relative, or `$lib/`), and reports each forbidden import with the chain of imports
 * that reaches it from an entry. Parsing is TypeScript's own (so comments and strings that look
 * like imports are not imports); a `.svelte` file's `<script>` blocks are parsed the same way.
 * Type-only imports count: browser code has no business with a Node-only module's types either.
 *
 * This project's two rules are at the end (browserBoundary, coreBoundary);
 * import-boundary.spec.ts runs them in the unit tests, on the project and on small fixtures.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportRef {
  /** As written, without a `?query` (Vite's `?worker`, `?url`). */
  specifier: string;
  /** 1-based. */
  line: number;
}

/** One step of a chain: `file` imports `specifier` on `line`. */
export interface ImportStep extends ImportRef {
  file: string;
}

export interface Violation {
  /** From an entry file to the forbidden import, which is the last step. */
  chain: ImportStep[];
  reason: string;
}

/** What an import leads to: a file of the project, or a package (bare specifier). */
export type ImportTarget = { kind: 'file'; path: string } | { kind: 'package'; name: string } | { kind: 'unresolved' };

export interface BoundaryRule {
  /** Project root: `$lib/` is `<root>/src/lib/`, and paths in messages are relative to it. */
  root: string;
  /** The files whose imports are checked. */
  entries: readonly string[];
  /** Why an import is forbidden, or undefined if it is allowed. */
  forbid(specifier: string, target: ImportTarget, from: string): string | undefined;
  /** Follow allowed imports of project files, and check their imports too (default true). */
  transitive?: boolean;
}

const SOURCE_EXTENSIONS = ['.ts', '.js', '.mjs', '.svelte'];
const NODE_BUILTINS = new Set(builtinModules);

/** True for `node:x` and for the bare names of Node's built-in modules (`fs`, `path/posix`). */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]!);
}

/** The package a bare specifier names: `@scope/name` or `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The `<script>` blocks of a Svelte component, with their 0-based starting line. */
function svelteScripts(text: string): { code: string; line: number }[] {
  const blocks: { code: string; line: number }[] = [];
  for (const m of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    const start = m.index + m[0].indexOf('>') + 1;
    blocks.push({ code: m[1]!, line: text.slice(0, start).split('\n').length - 1 });
  }
  return blocks;
}

function isImportMetaUrl(node: ts.Node): boolean {
  return ts.isPropertyAccessExpression(node) && node.name.text === 'url' && ts.isMetaProperty(node.expression) && node.expression.keywordToken === ts.SyntaxKind.ImportKeyword;
}

/** Every import in one script. A computed specifier (`import(x)`) is reported as `<computed>`. */
function scriptImports(code: string, fileName: string, lineOffset: number): ImportRef[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: string) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 + lineOffset;
    refs.push({ specifier: specifier.replace(/\?.*$/, ''), line });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node, node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      add(node, arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>');
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
      const arg = node.arguments[0]!;
      add(node, ts.isStringLiteralLike(arg) ? arg.text : '<computed>');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [first, second] = node.arguments ?? [];
      if (first && second && ts.isStringLiteralLike(first) && isImportMetaUrl(second)) add(node, first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** Every import of a source file (.ts, .js, .svelte). */
export function parseImports(file: string, text = readFileSync(file, 'utf8')): ImportRef[] {
  if (file.endsWith('.svelte')) return svelteScripts(text).flatMap((b) => scriptImports(b.code, `${file}.ts`, b.line));
  return scriptImports(text, file, 0);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The file a relative or `$lib/` specifier names, trying the usual extensions. */
function resolveFile(base: string): string | undefined {
  const candidates = [base, ...SOURCE_EXTENSIONS.map((e) => base + e), ...SOURCE_EXTENSIONS.map((e) => join(base, `index${e}`))];
  if (base.endsWith('.js')) candidates.push(base.slice(0, -3) + '.ts');
  return candidates.find(isFile);
}

/** What `specifier`, imported by `from`, leads to. */
export function resolveImport(root: string, from: string, specifier: string): ImportTarget {
  // SvelteKit's generated route types (.svelte-kit/types/...): types only, never Node.
  if (/^\.\/\$types(\.js)?$/.test(specifier)) return { kind: 'package', name: '$types' };
  let base: string | undefined;
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') base = resolve(dirname(from), specifier);
  else if (specifier === '$lib' || specifier.startsWith('$lib/')) base = join(root, 'src', 'lib', specifier.slice('$lib'.length));
  else if (specifier.startsWith('/')) base = specifier;
  if (base === undefined) return specifier === '<computed>' ? { kind: 'unresolved' } : { kind: 'package', name: specifier };
  const path = resolveFile(base);
  return path ? { kind: 'file', path } : { kind: 'unresolved' };
}

/**
 * Walks the imports from every entry (breadth first, so each chain reported is a shortest one)
 * and returns each forbidden import once, with the chain that reaches it.
 */
export function checkBoundary(rule: BoundaryRule): Violation[] {
  const transitive = rule.transitive ?? true;
  /** How each visited file was first reached: undefined for an entry. */
  const reachedBy = new Map<string, ImportStep | undefined>();
  const queue: string[] = [];
  for (const entry of rule.entries) {
    const path = resolve(entry);
    if (!reachedBy.has(path)) {
      reachedBy.set(path, undefined);
      queue.push(path);
    }
  }
  const chainTo = (step: ImportStep): ImportStep[] => {
    const chain = [step];
    for (let by = reachedBy.get(step.file); by; by = reachedBy.get(by.file)) chain.unshift(by);
    return chain;
  };
  const violations: Violation[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i]!;
    for (const ref of parseImports(file)) {
      const step: ImportStep = { file, ...ref };
      const target = resolveImport(rule.root, file, ref.specifier);
      const reason =
        target.kind === 'unresolved'
          ? ref.specifier === '<computed>'
            ? 'an import with a computed specifier cannot be checked'
            : `${ref.specifier} names no file of the project`
          : rule.forbid(ref.specifier, target, file);
      if (reason !== undefined) {
        const key = `${file}:${ref.line}:${ref.specifier}`;
        if (!seen.has(key)) {
          seen.add(key);
          violations.push({ chain: chainTo(step), reason });
        }
        continue;
      }
      if (transitive && target.kind === 'file' && !reachedBy.has(target.path)) {
        reachedBy.set(target.path, step);
        queue.push(target.path);
      }
    }
  }
  return violations;
}

/** `a.ts:3 imports 'b.ts' -> b.ts:7 imports 'node:fs': <reason>`, paths relative to root. */
export function formatViolation(root: string, v: Violation): string {
  const chain = v.chain.map((s) => `${relative(root, s.file)}:${s.line} imports '${s.specifier}'`).join(' -> ');
  return `${chain}: ${v.reason}`;
}

/** Every source file (.ts, .js, .mjs, .svelte) under `dir`, recursively, that `keep` accepts. */
export function sourceFiles(dir: string, keep: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => SOURCE_EXTENSIONS.some((e) => path.endsWith(e)) && isFile(path) && keep(path))
    .sort();
}

// ---------------------------------------------------------------------------------------------
// This project's boundaries

/** Where browser code lives (the site's routes and everything the browser peer is made of). */
export const BROWSER_DIRS = ['src/routes', 'src/lib/core', 'src/lib/peer', 'src/lib/ui'];

/** Packages that only run in Node (the server's, the CLI's, the tests' and the build's). */
const NODE_ONLY_PACKAGES = new Set([
  'better-sqlite3',
  'ioredis',
  'socket.io',
  '@socket.io/redis-adapter',
  'node-datachannel',
  'tsx',
  'esbuild',
  'vitest',
  'playwright-core',
  'typescript',
  'vite',
  '@sveltejs/adapter-node'
]);

/** SvelteKit modules the build refuses to ship to a browser. */
const SERVER_ONLY_SPECIFIERS = new Set(['$env/static/private', '$env/dynamic/private', '$app/server', '@sveltejs/kit/node', '@sveltejs/kit/node/polyfills']);

/** Tests, contract suites and SvelteKit's server-side route files run in Node, not in the browser. */
function isBrowserSource(path: string): boolean {
  return !/\.(spec|test)\.[jt]s$/.test(path) && !/\.contract\.ts$/.test(path) && !/(^|\/)[^/]*\.server\.[jt]s$/.test(path) && !/(^|\/)\+server\.[jt]s$/.test(path);
}

function inside(root: string, dir: string, path: string): boolean {
  const rel = relative(join(root, dir), path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
}

/** Browser code never reaches a Node-only module, directly or through the files it imports. */
export function browserBoundary(root: string): BoundaryRule {
  return {
    root,
    entries: BROWSER_DIRS.flatMap((d) => sourceFiles(join(root, d), isBrowserSource)),
    forbid(specifier, target) {
      if (target.kind === 'package') {
        if (isNodeBuiltin(specifier)) return `${specifier} is a Node built-in module`;
        if (SERVER_ONLY_SPECIFIERS.has(specifier)) return `${specifier} is server-only in SvelteKit`;
        if (NODE_ONLY_PACKAGES.has(packageName(specifier))) return `${packageName(specifier)} is a Node-only package`;
        return undefined;
      }
      if (target.kind !== 'file') return undefined;
      const path = target.path;
      if (inside(root, 'server', path)) return `${relative(root, path)} is the Node server (server/)`;
      if (inside(root, 'cli', path)) return `${relative(root, path)} is the Node CLI (cli/)`;
      if (inside(root, 'src/lib/server', path)) return `${relative(root, path)} is server-only ($lib/server)`;
      if (!inside(root, 'src', path)) return `${relative(root, path)} is not part of the site (outside src/)`;
      if (!isBrowserSource(path)) return `${relative(root, path)} runs in Node (a test, a contract suite or a *.server file)`;
      return undefined;
    }
  };
}

/** src/lib/core imports nothing but src/lib/core: no package, no platform module, no other layer. */
export function coreBoundary(root: string): BoundaryRule {
  return {
    root,
    entries: sourceFiles(join(root, 'src/lib/core'), isBrowserSource),
    transitive: false,
    forbid(specifier, target) {
      if (target.kind === 'package') return `core imports no package (${specifier})`;
      if (target.kind === 'file' && !inside(root, 'src/lib/core', target.path)) return `${relative(root, target.path)} is outside src/lib/core`;
      if (target.kind === 'file' && !isBrowserSource(target.path)) return `${relative(root, target.path)} is a test`;
      return undefined;
    }
  };
}
