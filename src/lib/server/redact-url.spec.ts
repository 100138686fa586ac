import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('redis://:s3cret@127.0.0.1:6379/0')).toBe('redis://:***@127.0.0.1:6379/0');
    expect(redactUrl('postgres://shoal:p%40ss@db.example:5432/shoal?sslmode=require')).toBe('postgres://shoal:***@db.example:5432/shoal?sslmode=require');
  });

  it('leaves a URL without a password as it is, and never echoes one it cannot parse', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('not a url :secret@')).toBe('(unparseable URL)');
  });
});
