import { describe, expect, it } from 'vitest';
import { pathInside, safeFileName, truncateUtf8 } from './safe-name.ts';

describe('safeFileName', () => {
  it('keeps ordinary names', () => {
    for (const n of ['report.pdf', 'holiday photos.bin', 'Ünïcødé 日本.txt', 'a.b.c']) expect(safeFileName(n)).toBe(n);
  });

  it('never leaves a separator, a leading dot, a control or bidi character', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('/etc/passwd')).toBe('_etc_passwd');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('.')).toBe('file');
    expect(safeFileName('.bashrc')).toBe('bashrc');
    expect(safeFileName('a\u0000b\nc\u001b.txt')).toBe('abc.txt');
    expect(safeFileName('photo\u202Egpj.exe')).toBe('photogpj.exe');
    expect(safeFileName('c:\\windows\\x')).toBe('c__windows_x');
    expect(safeFileName('what?<>|"*.txt')).toBe('what______.txt');
    expect(safeFileName('trailing. . ')).toBe('trailing');
    expect(safeFileName('')).toBe('file');
  });

  it('renames Windows device names', () => {
    expect(safeFileName('CON')).toBe('_CON');
    expect(safeFileName('nul.txt')).toBe('_nul.txt');
    expect(safeFileName('com1.log')).toBe('_com1.log');
    expect(safeFileName('console.txt')).toBe('console.txt');
  });

  it('fits in 255 bytes with the partial suffix, keeping the extension', () => {
    const long = safeFileName(`${'x'.repeat(245)}.tar.gz`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(241);
    expect(long.endsWith('.gz')).toBe(true);
    const emoji = safeFileName('😀'.repeat(100));
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(241);
    expect(emoji).toBe('😀'.repeat(60));
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});

describe('pathInside', () => {
  it('accepts a plain name and refuses anything that leaves the folder', () => {
    expect(pathInside('/tmp/out', 'a.txt')).toBe('/tmp/out/a.txt');
    for (const bad of ['../a', '/abs', 'x/y', '..', '.', '']) expect(() => pathInside('/tmp/out', bad)).toThrow(/leaves the download directory/);
  });
});
