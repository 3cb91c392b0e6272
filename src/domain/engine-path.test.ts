import { describe, expect, it } from 'vitest';
import { ENGINE_PATH_RE, pathNameError } from './engine-path.js';

describe('engine path names', () => {
  it.each([
    ['cam/front/main', null],
    ['a.b-c_d/9', null],
    ['cam/.../x', null],
    ['', 'cannot be empty'],
    ['/cam', "can't begin with a slash"],
    ['cam/', "can't end with a slash"],
    ['cam//x', "can't contain empty segments"],
    ['cam/../x', "can't contain dot path segments"],
    ['./cam', "can't contain dot path segments"],
    ['cam/..', "can't contain dot path segments"],
    ['cam x', 'can contain only alphanumeric characters, underscore, dot, minus, slash'],
    ['~^cam', 'can contain only alphanumeric characters, underscore, dot, minus, slash'],
  ])('path name %j → %s', (name, error) => {
    expect(pathNameError(name)).toBe(error);
    expect(ENGINE_PATH_RE.test(name)).toBe(error === null);
  });
});
