/**
 * Every theme in public/css/themes.css meets WCAG 2.2 AA contrast for the colour pairs the pages use:
 * 4.5:1 for text, 3:1 for borders of controls, focus rings and the filled part of progress bars.
 * The colours are read from the stylesheet itself, so changing a colour there is checked here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const css = readFileSync(path.join(__dirname, '..', '..', 'public', 'css', 'themes.css'), 'utf8');

/** The custom properties declared in the first block whose selector list includes `.theme-<name>`. */
function themeColours(theme: string): Map<string, string> {
  const block = new RegExp(`\\.theme-${theme}\\s*(?:,[^{]*)?\\{([^}]*)\\}`).exec(css);
  if (!block?.[1]) throw new Error(`No block for .theme-${theme} in themes.css`);
  const colours = new Map<string, string>();
  for (const match of block[1].matchAll(/--(color-[a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) {
    if (match[1] && match[2]) colours.set(match[1], match[2].toLowerCase());
  }
  return colours;
}

function relativeLuminance(hex: string): number {
  const channels = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16) / 255);
  const [r, g, b] = channels.map((value) => (value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

function contrastRatio(first: string, second: string): number {
  const [lighter, darker] = [relativeLuminance(first), relativeLuminance(second)].sort((a, b) => b - a);
  return ((lighter ?? 0) + 0.05) / ((darker ?? 0) + 0.05);
}

const TEXT = 4.5;
const NON_TEXT = 3;

/** [foreground, background, minimum ratio]: each pair the stylesheet puts together. */
const PAIRS: ReadonlyArray<readonly [string, string, number]> = [
  ['color-text', 'color-bg', TEXT],
  ['color-text', 'color-surface', TEXT],
  ['color-text', 'color-surface-alt', TEXT],
  ['color-text-muted', 'color-bg', TEXT],
  ['color-text-muted', 'color-surface', TEXT],
  ['color-text-muted', 'color-surface-alt', TEXT],
  ['color-link', 'color-bg', TEXT],
  ['color-link', 'color-surface', TEXT],
  ['color-link', 'color-surface-alt', TEXT],
  ['color-link-hover', 'color-bg', TEXT],
  ['color-link-visited', 'color-bg', TEXT],
  ['color-link-visited', 'color-surface', TEXT],
  ['color-header-text', 'color-header-bg', TEXT],
  ['color-header-focus', 'color-header-bg', NON_TEXT],
  ['color-primary-text', 'color-primary', TEXT],
  ['color-primary-text', 'color-primary-hover', TEXT],
  ['color-secondary-text', 'color-secondary', TEXT],
  ['color-secondary-text', 'color-secondary-hover', TEXT],
  ['color-warning-text', 'color-warning', TEXT],
  ['color-warning-text', 'color-warning-hover', TEXT],
  ['color-error', 'color-bg', TEXT],
  ['color-error', 'color-surface', TEXT],
  ['color-text', 'color-success-bg', TEXT],
  ['color-text', 'color-info-bg', TEXT],
  ['color-text', 'color-warning-bg', TEXT],
  ['color-link', 'color-success-bg', TEXT],
  ['color-link', 'color-info-bg', TEXT],
  ['color-link', 'color-warning-bg', TEXT],
  ['color-tag-text', 'color-tag-bg', TEXT],
  ['color-border', 'color-bg', NON_TEXT],
  ['color-border', 'color-surface', NON_TEXT],
  ['color-focus', 'color-bg', NON_TEXT],
  ['color-focus', 'color-surface', NON_TEXT],
  ['color-progress-fill', 'color-progress-track', NON_TEXT],
  ['color-progress-fill', 'color-bg', NON_TEXT],
  ['color-primary', 'color-bg', NON_TEXT],
];

describe.each(['standard', 'high-contrast', 'low-sensory'])('the %s theme', (theme) => {
  const colours = themeColours(theme);

  it.each(PAIRS.map(([foreground, background, minimum]) => [foreground, background, minimum]))(
    'puts %s on %s with a contrast of at least %s:1',
    (foreground, background, minimum) => {
      const fg = colours.get(String(foreground));
      const bg = colours.get(String(background));
      if (!fg || !bg) throw new Error(`${theme}: --${String(foreground)} or --${String(background)} is not declared`);
      const ratio = contrastRatio(fg, bg);
      if (ratio < Number(minimum)) {
        throw new Error(`${theme}: --${String(foreground)} ${fg} on --${String(background)} ${bg} is ${ratio.toFixed(2)}:1, needs ${String(minimum)}:1`);
      }
    },
  );
});

describe('the high-contrast theme', () => {
  it('gives body text at least 7:1 (AAA)', () => {
    const colours = themeColours('high-contrast');
    expect(contrastRatio(colours.get('color-text') ?? '', colours.get('color-bg') ?? '')).toBeGreaterThanOrEqual(7);
    expect(contrastRatio(colours.get('color-link') ?? '', colours.get('color-bg') ?? '')).toBeGreaterThanOrEqual(7);
  });
});

describe('every theme', () => {
  it('declares every colour the standard theme declares, so none falls back to a standard colour by accident', () => {
    const standard = [...themeColours('standard').keys()].sort();
    expect(standard.length).toBeGreaterThan(20);
    for (const theme of ['high-contrast', 'low-sensory']) {
      expect({ theme, colours: [...themeColours(theme).keys()].sort() }).toEqual({ theme, colours: standard });
    }
  });
});
