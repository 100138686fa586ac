import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, exitCodeOf, failureOf, fsError } from './errors.ts';
import { makeDir } from './make-dir.ts';

const errno = (code: string, syscall = 'open', path?: string) =>
  Object.assign(new Error(`${code}: failed, ${syscall}`), { code, errno: -1, syscall, ...(path ? { path } : {}) });

describe('fsError', () => {
  it('maps each errno to one code, names the cause and the path, and carries the path', () => {
    const cases: [string, string, RegExp][] = [
      ['ENOSPC', 'DISK_FULL', /^The disk is full/],
      ['EDQUOT', 'DISK_FULL', /^The disk is full/],
      ['EACCES', 'PERMISSION', /^Permission denied/],
      ['EPERM', 'PERMISSION', /^Permission denied/],
      ['EROFS', 'PERMISSION', /^The file system is read-only/],
      ['ENOENT', 'NO_SUCH_PATH', /^No such file or folder/],
      ['ENOTDIR', 'BAD_PATH', /is a file, not a folder/],
      ['EISDIR', 'BAD_PATH', /^A folder is where a file should be/],
      ['ERR_FS_EISDIR', 'BAD_PATH', /^A folder is where a file should be/],
      ['ELOOP', 'BAD_PATH', /symbolic links/],
      ['ENAMETOOLONG', 'BAD_PATH', /too long/],
      ['EEXIST', 'EXISTS', /--force/],
      ['EIO', 'IO', /device failed/],
      ['EWHATEVER', 'IO', /^EWHATEVER: /]
    ];
    for (const [code, want, message] of cases) {
      const e = fsError(errno(code), 'writing', '/x/y.shoal-partial');
      expect(e, code).toBeInstanceOf(CliError);
      expect(e.code, code).toBe(want);
      expect(e.message, code).toMatch(message);
      expect(e.message, code).toMatch(/ \(writing \/x\/y\.shoal-partial\)\.$/);
      expect(e.path, code).toBe('/x/y.shoal-partial');
      expect(exitCodeOf(e), code).toBe(1);
    }
  });

  it('never turns a filesystem error into NOT_FOUND', () => {
    for (const code of ['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EROFS', 'ENOSPC']) {
      expect(fsError(errno(code), 'opening', '/p').code).not.toBe('NOT_FOUND');
    }
  });

  it('keeps a CliError as it is', () => {
    const e = new CliError('FILE_CHANGED', 'changed');
    expect(fsError(e, 'reading', '/p')).toBe(e);
  });
});

describe('failureOf', () => {
  it('maps a raw Node filesystem error through fsError instead of showing its errno as the code', () => {
    expect(failureOf(errno('EROFS', 'unlink', '/d/files/x.json'))).toEqual({
      code: 'PERMISSION',
      message: 'The file system is read-only (unlink /d/files/x.json).',
      path: '/d/files/x.json'
    });
  });

  it('keeps the code of a CliError and of other coded errors, and ERROR for the rest', () => {
    expect(failureOf(new CliError('BAD_PATH', 'm', { path: '/p' }))).toEqual({ code: 'BAD_PATH', message: 'm', path: '/p' });
    expect(failureOf(new CliError('IN_USE', 'busy'))).toEqual({ code: 'IN_USE', message: 'busy' });
    expect(failureOf(Object.assign(new Error('unknown id'), { code: 'NOT_FOUND' }))).toEqual({ code: 'NOT_FOUND', message: 'unknown id' });
    expect(failureOf(new Error('boom'))).toEqual({ code: 'ERROR', message: 'boom' });
  });
});

describe('makeDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-make-dir-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parents, and accepts a folder that exists', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDir(deep, 'creating the output folder');
    await makeDir(deep, 'creating the output folder');
    await writeFile(join(deep, 'f'), 'ok');
    expect(await readFile(join(deep, 'f'), 'utf8')).toBe('ok');
  });

  it('a file at the path, or on the way to it, is BAD_PATH naming the path', async () => {
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    await expect(makeDir(file, 'creating the output folder')).rejects.toMatchObject({
      code: 'BAD_PATH',
      path: file,
      message: `A file is where a folder should be (creating the output folder ${file}).`
    });
    await expect(makeDir(join(file, 'sub'), 'creating the output folder')).rejects.toMatchObject({ code: 'BAD_PATH', path: join(file, 'sub') });
    expect(await readFile(file, 'utf8')).toBe('x');
  });
});
