import { describe, expect, it } from 'vitest';
import { decideTheme, parseColor, type ParentTheme } from './theme.js';

const HA_LIGHT: ParentTheme = { darkMode: false, background: '#fafafa', text: '#212121', primary: '#03a9f4' };
const HA_DARK: ParentTheme = { darkMode: true, background: '#111111', text: '#e1e1e1', primary: '#03a9f4' };
const none: ParentTheme = { darkMode: null, background: null, text: null, primary: null };

describe('decideTheme', () => {
  it.each<[string, ParentTheme | null, boolean, string, string | null, string | null]>([
    // name, parent, media says dark, scheme, adopted background, accent
    ['no parent: the media query (light)', null, false, 'light', null, null],
    ['no parent: the media query (dark)', null, true, 'dark', null, null],
    ['Home Assistant dark beats a light media query', HA_DARK, false, 'dark', '#111111', '#03a9f4'],
    ['Home Assistant light beats a dark media query', HA_LIGHT, true, 'light', '#fafafa', '#03a9f4'],
    ['no darkMode: the parent background decides (dark)', { ...HA_DARK, darkMode: null }, false, 'dark', '#111111', '#03a9f4'],
    ['no darkMode: the parent background decides (light, rgb())', { ...none, background: 'rgb(250, 250, 250)', text: 'rgb(33,33,33)' }, true, 'light', 'rgb(250, 250, 250)', null],
    ['a parent that says nothing: the media query', none, true, 'dark', null, null],
    ['unreadable colours: the media query, no colours adopted', { ...none, background: 'var(--x)', text: 'inherit', primary: 'blue-ish' }, false, 'light', null, null],
    ['colours that contradict the dark mode are not adopted', { ...HA_DARK, background: '#fafafa' }, false, 'dark', null, '#03a9f4'],
    ['text as dark as the dark background is not adopted', { ...HA_DARK, text: '#222' }, false, 'dark', null, '#03a9f4'],
  ])('%s', (_name, parent, mediaDark, scheme, background, accent) => {
    const theme = decideTheme(parent, mediaDark);
    expect(theme.scheme).toBe(scheme);
    expect(theme.background).toBe(background);
    expect(theme.text === null).toBe(background === null);
    expect(theme.accent).toBe(accent);
  });
});

describe('parseColor', () => {
  it.each<[string, [number, number, number] | null]>([
    ['#fff', [255, 255, 255]],
    ['#03A9F4', [3, 169, 244]],
    ['#11111180', [17, 17, 17]],
    [' rgb(17, 17, 17) ', [17, 17, 17]],
    ['rgba(250, 250, 250, 0.5)', [250, 250, 250]],
    ['rgb(1 2 3 / 50%)', [1, 2, 3]],
    ['rgb(300, 0, 0)', null],
    ['#ggg', null],
    ['white', null],
    ['', null],
  ])('%s', (css, rgb) => expect(parseColor(css)).toEqual(rgb));
});
