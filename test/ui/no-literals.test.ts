/**
 * No user-facing text outside the translation tables: JSX text and the text attributes of every
 * component must come from `t()`. Parsed with the TypeScript compiler, so code is never mistaken
 * for text. (A URL example in a placeholder is not prose and is allowed.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../web/src/', import.meta.url));
const TEXT_ATTRS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label']);
const WORDS = /\p{L}{2,}/u;
const URL_EXAMPLE = /^[a-z]+:\/\//;

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsxFiles(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : []));
}

function literalTexts(code: string): string[] {
  const file = ts.createSourceFile('x.tsx', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && WORDS.test(node.text)) found.push(node.text.trim());
    if (ts.isJsxAttribute(node) && TEXT_ATTRS.has(node.name.getText()) && node.initializer && ts.isStringLiteral(node.initializer)) {
      const value = node.initializer.text;
      if (WORDS.test(value) && !URL_EXAMPLE.test(value)) found.push(`${node.name.getText()}="${value}"`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('UI strings', () => {
  it('the check finds literal text and ignores translated text', () => {
    expect(literalTexts('const a = <p title="Hello there">Save now</p>;')).toEqual(['title="Hello there"', 'Save now']);
    expect(literalTexts('const a = <p title={t("x")} placeholder="rtsp://host/x">{t("y")} {n > 1 ? "" : null}</p>;')).toEqual([]);
  });

  it.each(tsxFiles(SRC).map((f) => [f.slice(SRC.length)]))('%s has no literal user-facing text', (rel) => {
    expect(literalTexts(readFileSync(join(SRC, rel), 'utf8'))).toEqual([]);
  });
});
